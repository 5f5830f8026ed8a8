using System.Globalization;

namespace Vessel.Core.Validation;

/// <summary>Network rates as Incus writes them: 100Mbit, 1Gbit, 500kbit, 64bit (bits per second).</summary>
public static class BitRates
{
    private static readonly (string Suffix, long Factor)[] Units = [("gbit", 1_000_000_000), ("mbit", 1_000_000), ("kbit", 1_000), ("bit", 1)];

    public static long Parse(string field, string value)
    {
        var lower = value.Trim().ToLowerInvariant();
        foreach (var (suffix, factor) in Units)
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal) &&
                long.TryParse(lower[..^suffix.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= long.MaxValue / factor)
            {
                var rate = n * factor;
                if (rate < 8_000)
                    throw new BadRequestException($"{field}: {value} is below the smallest rate, 8kbit");
                if (rate > 100_000_000_000)
                    throw new BadRequestException($"{field}: {value} is above the largest rate, 100Gbit");
                return rate;
            }
        }
        throw new BadRequestException($"{field}: \"{value}\" is not a rate such as 100Mbit, 1Gbit or 500kbit");
    }
}
