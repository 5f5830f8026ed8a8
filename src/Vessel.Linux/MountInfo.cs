namespace Vessel.Linux;

/// <summary>One line of /proc/PID/mountinfo, reduced to what the probe needs.</summary>
internal sealed record MountInfo(string MountPoint, string FsType, IReadOnlyList<string> SuperOptions)
{
    // Format (proc(5)): id parent major:minor root mount-point options [optional...] - fstype source super-options
    public static IEnumerable<MountInfo> ParseAll(string mountinfo)
    {
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            var separator = fields.Length > 6 ? Array.IndexOf(fields, "-", 6) : -1;
            if (separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }

            var superOptions = separator + 3 < fields.Length ? fields[separator + 3].Split(',') : [];
            yield return new MountInfo(Unescape(fields[4]), fields[separator + 1], superOptions);
        }
    }

    // The kernel writes space, tab, newline and backslash in paths as three-digit octal escapes.
    private static string Unescape(string path) => path
        .Replace("\\040", " ", StringComparison.Ordinal)
        .Replace("\\011", "\t", StringComparison.Ordinal)
        .Replace("\\012", "\n", StringComparison.Ordinal)
        .Replace("\\134", "\\", StringComparison.Ordinal);
}
