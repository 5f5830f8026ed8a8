namespace Vessel.Linux;

/// <param name="UnifiedMount">Where cgroup2 is mounted, if anywhere.</param>
/// <param name="V1Mounts">v1 controller name to its hierarchy's mount point.</param>
/// <param name="Controllers">Every controller available: v1 ones first, then those listed in the cgroup2 root's cgroup.controllers.</param>
public sealed record CgroupLayout(
    CgroupVersion Version,
    string? UnifiedMount,
    IReadOnlyDictionary<string, string> V1Mounts,
    IReadOnlyList<string> Controllers);
