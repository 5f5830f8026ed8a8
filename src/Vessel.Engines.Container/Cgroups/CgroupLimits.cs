namespace Vessel.Engines.Container.Cgroups;

/// <summary>
/// What a container may use. A null limit means unlimited: applying it resets the cgroup to "max".
/// </summary>
/// <param name="Cpus">CPU ids the container may run on; null means every CPU of the parent.</param>
/// <param name="CpuWeight">Soft share on the cgroup v2 scale 1..10000 (100 is the default); v1 cpu.shares is derived.</param>
/// <param name="CpuQuota">Hard cap: at most QuotaMicros of CPU time in every PeriodMicros.</param>
/// <param name="MemoryBytes">Memory limit.</param>
/// <param name="SwapAllowed">False keeps the container out of swap (v1 memsw = memory limit, v2 memory.swap.max 0).</param>
/// <param name="Pids">Most tasks (processes and threads) the cgroup may hold.</param>
/// <param name="IoWeight">Block I/O share on the cgroup v2 scale 1..10000 (100 is the default); v1 blkio weights are derived.</param>
public sealed record CgroupLimits(
    IReadOnlyList<int>? Cpus,
    long? CpuWeight,
    (long QuotaMicros, long PeriodMicros)? CpuQuota,
    long? MemoryBytes,
    bool SwapAllowed,
    long? Pids,
    long? IoWeight)
{
    public static CgroupLimits Unlimited { get; } = new(null, null, null, null, true, null, null);

    /// <summary>Rejects values no cgroup file can take; the kernel judges the rest, and its refusal names the file.</summary>
    internal void Check()
    {
        if (Cpus is { Count: 0 })
            throw new ArgumentException("Cpus must name at least one CPU; null means every CPU", nameof(Cpus));
        CgroupWeights.Check(nameof(CpuWeight), CpuWeight);
        CgroupWeights.Check(nameof(IoWeight), IoWeight);
        if (CpuQuota is { QuotaMicros: <= 0 } or { PeriodMicros: <= 0 })
            throw new ArgumentOutOfRangeException(nameof(CpuQuota), CpuQuota, "quota and period must be positive");
        if (MemoryBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MemoryBytes), MemoryBytes, "must be positive");
        if (Pids < 0)
            throw new ArgumentOutOfRangeException(nameof(Pids), Pids, "must not be negative");
    }
}
