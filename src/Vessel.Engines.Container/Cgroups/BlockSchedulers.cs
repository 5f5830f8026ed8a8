namespace Vessel.Engines.Container.Cgroups;

/// <summary>The I/O schedulers the host's block devices use: a BFQ weight file is there as soon as the module is, but weighs nothing on a disk BFQ does not schedule.</summary>
internal static class BlockSchedulers
{
    /// <summary>The host's block devices, where the kernel lists them.</summary>
    public const string SysBlock = "/sys/block";

    /// <summary>Whether any block device under <paramref name="sysBlock"/> has BFQ selected ("[bfq]" in queue/scheduler).</summary>
    public static bool AnyUsesBfq(string sysBlock) =>
        Directory.Exists(sysBlock) && Directory.EnumerateDirectories(sysBlock)
            .Select(device => Path.Combine(device, "queue", "scheduler"))
            .Any(file => File.Exists(file) && File.ReadAllText(file).Contains("[bfq]", StringComparison.Ordinal));
}
