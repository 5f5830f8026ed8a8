using System.Text;

namespace Vessel.Storage;

/// <summary>Reads the mount table of this process (/proc/self/mountinfo).</summary>
public static class MountTable
{
    public static IReadOnlyList<string> MountPointsUnder(string path, string mountinfo = "/proc/self/mountinfo")
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return
        [
            .. File.ReadLines(mountinfo)
                .Select(line => line.Split(' '))
                .Where(fields => fields.Length > 4)
                .Select(fields => Unescape(fields[4]))
                .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal)),
        ];
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes such as \040.</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var result = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                result.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }
        return result.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
