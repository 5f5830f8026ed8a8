namespace Vessel.Engines.Container.Cgroups;

/// <summary>
/// Converts weights from the cgroup v2 scale (1..10000, default 100) to the v1 files. Each mapping is
/// proportional and keeps the defaults aligned, so an unset weight and "100" mean the same on both versions.
/// </summary>
internal static class CgroupWeights
{
    public const long Default = 100;
    public const long Min = 1;
    public const long Max = 10_000;

    /// <summary>cpu.shares: 2..262144, default 1024.</summary>
    public static long ToCpuShares(long weight) => Math.Clamp((weight * 1024 + 50) / 100, 2, 262_144);

    /// <summary>blkio.weight (CFQ): 10..1000, default 500.</summary>
    public static long ToBlkioWeight(long weight) => Math.Clamp(weight * 5, 10, 1000);

    /// <summary>blkio.bfq.weight and io.bfq.weight (BFQ): 1..1000, default 100.</summary>
    public static long ToBfqWeight(long weight) => Math.Clamp(weight, 1, 1000);

    public static void Check(string name, long? weight)
    {
        if (weight is < Min or > Max)
            throw new ArgumentOutOfRangeException(name, weight, $"{name} must be {Min} to {Max}");
    }
}
