using System.Globalization;
using System.Text;
using Vessel.Core.Validation;

namespace Vessel.Core.Scheduling;

/// <summary>
/// The names of snapshots taken without one (scheduled ones, and unnamed ones from the API), as Incus's
/// snapshots.pattern: "%d" (at most once) becomes the number after the highest one already taken with the same
/// pattern (0 for the first), and {date:FORMAT} the snapshot's time in UTC, FORMAT made of yyyy, yy, MM, dd, HH, mm,
/// ss and dashes (auto-{date:yyyyMMdd-HHmm} gives auto-20250314-0200). A name without "%d" that is taken already gets
/// "-0", "-1", … appended. The result must be a valid snapshot name.
/// </summary>
public static class SnapshotPattern
{
    public const string Default = "snap%d";
    private const string Number = "%d";
    private static readonly string[] DateTokens = ["yyyy", "yy", "MM", "dd", "HH", "mm", "ss"];

    /// <summary>Checks that the pattern renders, and that what it renders is a valid snapshot name.</summary>
    public static void Validate(string key, string pattern)
    {
        var rendered = Render(key, pattern, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        foreach (var number in (string[])["0", "99999"])
            Names.ValidateLabel(key, rendered.Replace(Number, number, StringComparison.Ordinal));
    }

    /// <summary>The next name by the pattern for a snapshot taken at the given time, next to the instance's existing ones.</summary>
    public static string NextName(string pattern, DateTimeOffset time, IEnumerable<string> existing)
    {
        var rendered = Render("snapshots.pattern", pattern, time);
        var taken = existing.ToList();
        if (!rendered.Contains(Number, StringComparison.Ordinal))
        {
            if (!taken.Contains(rendered, StringComparer.OrdinalIgnoreCase))
                return rendered;
            rendered += "-" + Number;
        }
        var at = rendered.IndexOf(Number, StringComparison.Ordinal);
        var (prefix, suffix) = (rendered[..at], rendered[(at + Number.Length)..]);
        var highest = -1;
        foreach (var name in taken)
        {
            if (name.Length > prefix.Length + suffix.Length
                && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                highest = Math.Max(highest, n);
        }
        return prefix + (highest + 1).ToString(CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>The pattern with its {date:…} placeholders filled in; "%d" is left for the caller.</summary>
    private static string Render(string key, string pattern, DateTimeOffset time)
    {
        if (pattern.Split(Number).Length > 2)
            throw new BadRequestException($"{key}: \"{pattern}\" has \"%d\" more than once");
        var utc = time.UtcDateTime;
        var result = new StringBuilder();
        var i = 0;
        while (i < pattern.Length)
        {
            if (pattern[i] != '{')
            {
                result.Append(pattern[i++]);
                continue;
            }
            var end = pattern.IndexOf('}', i);
            const string open = "{date:";
            if (end < 0 || !pattern.AsSpan(i).StartsWith(open, StringComparison.Ordinal))
                throw new BadRequestException($"{key}: \"{pattern}\" has a '{{' that does not open a {{date:FORMAT}} placeholder");
            result.Append(Date(key, pattern[(i + open.Length)..end], utc));
            i = end + 1;
        }
        return result.ToString();
    }

    private static string Date(string key, string format, DateTime utc)
    {
        var result = new StringBuilder();
        var i = 0;
        while (i < format.Length)
        {
            if (format[i] == '-')
            {
                result.Append('-');
                i++;
                continue;
            }
            var token = DateTokens.FirstOrDefault(t => format.AsSpan(i).StartsWith(t, StringComparison.Ordinal))
                ?? throw new BadRequestException(
                    $"{key}: the date format \"{format}\" has \"{format[i..]}\" where one of {string.Join(", ", DateTokens)} or a dash belongs");
            result.Append(utc.ToString(token, CultureInfo.InvariantCulture));
            i += token.Length;
        }
        if (result.Length == 0)
            throw new BadRequestException($"{key}: a {{date:FORMAT}} placeholder needs a format such as yyyyMMdd-HHmm");
        return result.ToString();
    }
}
