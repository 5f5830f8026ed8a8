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
}
