namespace Vessel.Linux;

/// <summary>Questions about this process's mount table.</summary>
public static class MountTable
{
    /// <summary>Mount points at or below the path (the path as the kernel shows it, symlinks resolved).</summary>
    public static IReadOnlyList<string> MountPointsUnder(string path, string mountinfo = "/proc/self/mountinfo")
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return
        [
            .. MountInfo.ParseAll(File.ReadAllText(mountinfo))
                .Select(m => m.MountPoint)
                .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal)),
        ];
    }

    /// <summary>Whether a filesystem is mounted right at the path.</summary>
    public static bool IsMountPoint(string path, string mountinfo = "/proc/self/mountinfo")
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return MountInfo.ParseAll(File.ReadAllText(mountinfo)).Any(m => m.MountPoint == target);
    }

    /// <summary>The type of the filesystem that holds the path (btrfs, ext4, ...): the one mounted deepest above it, the last mounted there.</summary>
    public static string FileSystemTypeOf(string path, string mountinfo = "/proc/self/mountinfo")
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return MountInfo.ParseAll(File.ReadAllText(mountinfo))
            .Where(m => m.MountPoint == "/" || m.MountPoint == target || target.StartsWith(m.MountPoint + "/", StringComparison.Ordinal))
            .Select((m, order) => (m, order))
            .OrderByDescending(x => x.m.MountPoint.Length).ThenByDescending(x => x.order)
            .Select(x => x.m.FsType)
            .FirstOrDefault() ?? "unknown";
    }
}
