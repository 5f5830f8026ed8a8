using System.Globalization;
using Vessel.Core.Validation;
using Vessel.Linux;
using Vessel.Storage;

namespace Vessel.Engines.Qemu;

/// <summary>What a VM's command line takes from the host: its size, its acceleration, its architecture and its CPU clock.</summary>
/// <param name="CpuKiloHertz">The first CPU's clock from /proc/cpuinfo; 0 when it names none.</param>
public sealed record QemuHost(HostResources Resources, AccelerationInfo Acceleration, string Architecture, long CpuKiloHertz)
{
    public static QemuHost Current()
    {
        var files = new HostFiles();
        return new QemuHost(HostResources.Current, Vessel.Linux.Acceleration.Detect(files), ImageStore.HostArchitecture, CpuKiloHertzOf(files.ReadText("/proc/cpuinfo")));
    }

    internal static long CpuKiloHertzOf(string? cpuinfo)
    {
        foreach (var line in (cpuinfo ?? "").Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == "cpu MHz" &&
                decimal.TryParse(line[(colon + 1)..].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var megahertz))
                return (long)(megahertz * 1000);
        }
        return 0;
    }
}
