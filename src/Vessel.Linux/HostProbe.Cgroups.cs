namespace Vessel.Linux;

public static partial class HostProbe
{
    private const string CgroupsName = "cgroups";
    private const string CgroupsFix =
        "boot with cgroup2 mounted at /sys/fs/cgroup and enable the controllers (echo +cpu +memory +pids > /sys/fs/cgroup/cgroup.subtree_control)";

    private static HostCheck Cgroups(HostFiles files)
    {
        var mountinfo = files.ReadText("/proc/self/mountinfo") ?? "";
        var unified = CgroupDetector.Parse(mountinfo, null).UnifiedMount;
        var layout = CgroupDetector.Parse(mountinfo, unified is null ? null : files.ReadText($"{unified}/cgroup.controllers"));
        if (layout.Version == CgroupVersion.None)
        {
            return HostCheck.Fail(CgroupsName, "no cgroup or cgroup2 filesystem mounted", CgroupsFix);
        }

        var detail = Describe(layout);
        var essential = new[] { "cpu", "memory", "pids" };
        if (!essential.Any(layout.Controllers.Contains))
        {
            return HostCheck.Fail(CgroupsName, $"{detail}; none of cpu, memory, pids available", CgroupsFix);
        }

        var missing = WantedControllers(layout.Version)
            .Where(wanted => !wanted.Split('|').Any(layout.Controllers.Contains))
            .Select(wanted => wanted.Replace("|", " or ", StringComparison.Ordinal))
            .ToList();
        return missing.Count == 0
            ? HostCheck.Ok(CgroupsName, detail)
            : HostCheck.Warn(CgroupsName, $"{detail}; missing: {string.Join(", ", missing)}", CgroupsFix);
    }

    // cgroup2 freezes through cgroup.freeze in every group, so only v1 needs a freezer controller.
    private static IEnumerable<string> WantedControllers(CgroupVersion version) =>
        version == CgroupVersion.V2
            ? ["cpu", "memory", "pids", "cpuset", "io"]
            : ["cpu", "memory", "pids", "cpuset", "freezer", "io|blkio"];

    private static string Describe(CgroupLayout layout)
    {
        var v1 = string.Join(", ", layout.V1Mounts.Keys);
        var v2 = string.Join(", ", layout.Controllers.Except(layout.V1Mounts.Keys));
        return layout.Version switch
        {
            CgroupVersion.V1 => $"v1: {v1}",
            CgroupVersion.V2 => $"v2 at {layout.UnifiedMount}: {Listed(v2)}",
            _ => $"hybrid: v1 {v1}; cgroup2 at {layout.UnifiedMount}: {Listed(v2)}",
        };
    }

    private static string Listed(string controllers) => controllers.Length == 0 ? "no controllers" : controllers;
}
