namespace Vessel.Engines.Container.Cgroups;

/// <param name="CpuSeconds">CPU time used by every task of the cgroup since it was made.</param>
/// <param name="MemoryBytes">Memory charged to the cgroup now, page cache included.</param>
/// <param name="MemoryPeakBytes">Highest memory charge seen; equals MemoryBytes on v2 kernels before 5.19, which keep no peak.</param>
/// <param name="Processes">Tasks in the cgroup now (pids.current: threads count).</param>
/// <param name="OomKills">Tasks the OOM killer has killed in the cgroup.</param>
public sealed record CgroupUsage(double CpuSeconds, long MemoryBytes, long MemoryPeakBytes, long Processes, long OomKills);
