namespace Vessel.Linux;

public static class CgroupDetector
{
    // Super options of a v1 mount that name a controller; the rest (rw, name=systemd, xattr…) do not.
    private static readonly HashSet<string> V1Controllers =
    [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
    ];

    /// <summary>The layout of this host, as this process sees it.</summary>
    public static CgroupLayout Detect()
    {
        var mountinfo = File.ReadAllText("/proc/self/mountinfo");
        var unified = MountInfo.ParseAll(mountinfo).FirstOrDefault(m => m.FsType == "cgroup2")?.MountPoint;
        var controllers = unified is null ? null : File.ReadAllText(Path.Combine(unified, "cgroup.controllers"));
        return Parse(mountinfo, controllers);
    }

    /// <param name="mountinfo">Text of /proc/self/mountinfo.</param>
    /// <param name="v2ControllersFileContent">Text of cgroup.controllers at the cgroup2 mount, if any.</param>
    public static CgroupLayout Parse(string mountinfo, string? v2ControllersFileContent)
    {
        ArgumentNullException.ThrowIfNull(mountinfo);
        string? unified = null;
        var v1Mounts = new Dictionary<string, string>();
        foreach (var mount in MountInfo.ParseAll(mountinfo))
        {
            if (mount.FsType == "cgroup2")
            {
                unified ??= mount.MountPoint;
            }
            else if (mount.FsType == "cgroup")
            {
                foreach (var controller in mount.SuperOptions.Where(V1Controllers.Contains))
                {
                    v1Mounts.TryAdd(controller, mount.MountPoint);
                }
            }
        }

        var v2Controllers = unified is null
            ? []
            : (v2ControllersFileContent ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var version = (v1Mounts.Count > 0, unified is not null) switch
        {
            (true, true) => CgroupVersion.Hybrid,
            (true, false) => CgroupVersion.V1,
            (false, true) => CgroupVersion.V2,
            (false, false) => CgroupVersion.None,
        };
        return new CgroupLayout(version, unified, v1Mounts, [.. v1Mounts.Keys.Concat(v2Controllers).Distinct()]);
    }
}
