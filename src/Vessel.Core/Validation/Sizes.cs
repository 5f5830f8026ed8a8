using System.Globalization;

namespace Vessel.Core.Validation;

public static class Sizes
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40), ("PiB", 1L << 50), ("EiB", 1L << 60),
        ("kB", 1_000), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("PB", 1_000_000_000_000_000), ("EB", 1_000_000_000_000_000_000), ("B", 1),
    ];

    /// <summary>Parses 512MiB, 1GiB, 2GB, 100kB or a plain number of bytes.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        long factor = 1;
        foreach (var (suffix, f) in Units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                s = s[..^suffix.Length].TrimEnd();
                factor = f;
                break;
            }
        }
        if (s.Length == 0 || !s.All(char.IsAsciiDigit))
            return false;
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return false;
        try
        {
            bytes = checked(n * factor);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public static long Parse(string field, string text) => TryParse(text, out var bytes)
        ? bytes
        : throw new BadRequestException($"{field}: \"{text}\" is not a size; use a whole number with a unit such as 512MiB, 1GiB or 2GB");

    /// <summary>Formats bytes the way the CLI shows them: 1.5GiB, 512MiB, 12B.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes}B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.##}{units[unit]}");
    }
}
