using Vessel.Linux;

namespace Vessel.Engines.Container.Cgroups;

/// <summary>Picks the cgroup backend for the host's layout, once.</summary>
public static class Cgroup
{
    // Any of these on a v1 hierarchy means the host keeps its resource controllers on v1, as hybrid hosts do;
    // their cgroup2 mount then carries no controller a container needs.
    private static readonly string[] V1Markers = ["memory", "pids", "cpu"];

    /// <param name="path">Path relative to each hierarchy root, such as vessel/web1.</param>
    /// <param name="layout">The host's layout, from <see cref="CgroupDetector"/>; its mount points are
    /// where all files are read and written, so tests can point them at fake trees.</param>
    public static ICgroup Open(string path, CgroupLayout layout) => Open(path, layout, CgroupTimings.Default);

    internal static ICgroup Open(string path, CgroupLayout layout, CgroupTimings timings)
    {
        ArgumentNullException.ThrowIfNull(layout);
        CheckPath(path);
        if (V1Markers.Any(layout.V1Mounts.ContainsKey))
        {
            var mounts = layout.UnifiedMount is { } hybrid
                ? new Dictionary<string, string>(layout.V1Mounts) { [Unified] = hybrid }
                : layout.V1Mounts;
            return new CgroupV1(path, mounts, timings);
        }
        if (layout.UnifiedMount is { } unified)
            return new CgroupV2(path, unified, timings);
        throw new CgroupException(
            $"no usable cgroup hierarchy: none of the v1 controllers {string.Join(", ", V1Markers)} is mounted and cgroup2 is not mounted");
    }

    private static void CheckPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Split('/').Any(segment => segment is "" or "." or ".." || segment.Contains('\0', StringComparison.Ordinal)))
        {
            throw new ArgumentException(
                $"cgroup path \"{path}\" must be relative, such as vessel/web1, without empty, \".\" or \"..\" parts", nameof(path));
        }
    }

    /// <summary>The name CgroupV1 gives a hybrid host's cgroup2 hierarchy among its controllers.</summary>
    internal const string Unified = "unified";

    /// <summary>What cgroup delegation hands over (see cgroups(7)): the directory and the files that move processes.</summary>
    internal static void DelegateDirectory(string directory, int uid, int gid)
    {
        Vessel.Linux.Ownership.Set(directory, uid, gid);
        foreach (var file in new[] { "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" })
        {
            var path = System.IO.Path.Join(directory, file);
            if (File.Exists(path))
                Vessel.Linux.Ownership.Set(path, uid, gid);
        }
    }
}
