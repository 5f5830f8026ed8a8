using Vessel.Core;
using Vessel.Core.Model;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>
/// A VM's cloud-init seed: an ISO 9660 file system labelled cidata, as the NoCloud data source looks for, holding the
/// <see cref="CloudInitSeed"/> files. It is made afresh at every start and attached read-only after the root disk.
/// </summary>
public static class NoCloudSeed
{
    /// <summary>Writes the seed image to PATH with genisoimage (Joliet and Rock Ridge names, as cloud-init reads them).</summary>
    public static async Task WriteAsync(Instance instance, string path, CancellationToken cancellationToken)
    {
        var staging = path + ".d";
        if (Directory.Exists(staging))
            Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var (name, text) in CloudInitSeed.Files(instance))
                await File.WriteAllTextAsync(Path.Combine(staging, name), text, cancellationToken);
            HostCommand.Result result;
            try
            {
                result = await HostCommand.RunAsync(HostCommand.Resolve("genisoimage"),
                    ["-quiet", "-output", path, "-volid", "cidata", "-joliet", "-rock", staging], cancellationToken: cancellationToken);
            }
            catch (HostCommandException e)
            {
                throw new NotSupportedYetException($"the cloud-init seed needs genisoimage (apt-get install genisoimage): {e.Message}");
            }
            if (result.Code != 0)
                throw new VesselException(500, $"genisoimage could not make the cloud-init seed: {(result.Errors + result.Output).Trim()}");
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
