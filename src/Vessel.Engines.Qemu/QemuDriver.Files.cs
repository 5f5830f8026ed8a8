using System.Globalization;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qga;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>The most one guest-file-read or guest-file-write carries (base64 makes the JSON line a third larger).</summary>
    internal const int FileChunk = 1 << 20;

    /// <summary>Reads a guest file through the agent, a chunk per guest-file-read; the first chunk is read here, so that a
    /// file that cannot be read (a directory) fails before any byte is answered.</summary>
    public async Task<Stream> OpenFileAsync(InstanceContext context, string path, CancellationToken cancellationToken)
    {
        var agent = AgentOf(context);
        var handle = await OpenGuestFileAsync(agent, path, "r", cancellationToken);
        var stream = new AgentFileStream(agent, handle, path);
        try
        {
            await stream.FillAsync(cancellationToken);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Writes a guest file through the agent: guest-file-open "w" makes or empties it, sh gives it its owner and mode
    /// before any byte is in it (the agent creates files 0666 and cannot chmod), then the content goes a chunk per
    /// guest-file-write.
    /// </summary>
    public async Task WriteFileAsync(InstanceContext context, string path, Stream content, InstanceFile file, CancellationToken cancellationToken)
    {
        var agent = AgentOf(context);
        var handle = await OpenGuestFileAsync(agent, path, "w", cancellationToken);
        try
        {
            await SetOwnerAndModeAsync(agent, path, file, cancellationToken);
            var buffer = new byte[FileChunk];
            int read;
            while ((read = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                var chunk = buffer.AsMemory(0, read);
                await agent.CallAsync(client => client.WriteFileAsync(handle, chunk, cancellationToken), cancellationToken);
            }
        }
        catch
        {
            await CloseGuestFileAsync(agent, handle);
            throw;
        }
        await agent.CallAsync(client => client.CloseFileAsync(handle, cancellationToken), cancellationToken); // flushes: its errors count
    }

    /// <summary>Closes a guest file after a failure or a read, when nothing depends on it: an agent gone took the handle with it.</summary>
    internal static async Task CloseGuestFileAsync(GuestAgent agent, long handle)
    {
        try
        {
            await agent.CallAsync(client => client.CloseFileAsync(handle, CancellationToken.None), CancellationToken.None);
        }
        catch (Exception e) when (e is VesselException or GuestAgentException)
        {
        }
    }

    private static async Task<long> OpenGuestFileAsync(GuestAgent agent, string path, string mode, CancellationToken cancellationToken)
    {
        try
        {
            return await agent.CallAsync(client => client.OpenFileAsync(path, mode, cancellationToken), cancellationToken);
        }
        catch (GuestAgentException e)
        {
            throw FileError(agent.VmName, path, e);
        }
    }

    /// <summary>The agent's error about a guest file, as the user's: 404 when it is not there, else 400 with the agent's reason.</summary>
    internal static VesselException FileError(string vmName, string path, GuestAgentException e) =>
        e.Description.Contains("No such file or directory", StringComparison.Ordinal)
            ? new NotFoundException($"{path}: no such file in virtual machine \"{vmName}\" ({e.Description})")
            : new BadRequestException($"{path} in virtual machine \"{vmName}\": {e.Description}");

    private static async Task SetOwnerAndModeAsync(GuestAgent agent, string path, InstanceFile file, CancellationToken cancellationToken)
    {
        var owner = string.Create(CultureInfo.InvariantCulture, $"{file.Uid}:{file.Gid}");
        var mode = Convert.ToString((int)file.Mode, 8);
        await using var chown = new AgentExecSession(agent, new ExecRequest
        {
            Command = ["/bin/sh", "-c", "chown -- \"$0\" \"$2\" && chmod -- \"$1\" \"$2\"", owner, mode, path],
            WorkingDirectory = "/",
        });
        await chown.Input.DisposeAsync();
        var code = await chown.Exited.WaitAsync(cancellationToken);
        if (code != 0)
        {
            var why = (await new StreamReader(chown.Error!).ReadToEndAsync(cancellationToken)).Trim();
            throw new BadRequestException($"{path} in virtual machine \"{agent.VmName}\": owner {owner} and mode {mode} not set: {why}");
        }
    }
}
