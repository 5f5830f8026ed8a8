using System.Globalization;

namespace Vessel.Core.Scheduling;

/// <summary>
/// How long a snapshot is kept, in Incus's expiry syntax: space-separated fields of a whole number and a unit,
/// each unit at most once: S seconds, M minutes, H hours, d days, w weeks, m months, y years ("3d", "1w 12H", "6m").
/// Months and years are calendar ones (1m after 31 January is the end of February), counted in UTC.
/// </summary>
public sealed record Expiry(int Years, int Months, int Days, int Hours, int Minutes, int Seconds)
{
    public const string Units = "S seconds, M minutes, H hours, d days, w weeks, m months, y years";

    public static Expiry Parse(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var counts = new Dictionary<char, int>();
        foreach (var field in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var unit = field[^1];
            if (!"SMHdwmy".Contains(unit, StringComparison.Ordinal) || field.Length < 2
                || !int.TryParse(field.AsSpan(0, field.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw new BadRequestException($"{key}: \"{field}\" is not a number and a unit such as 3d, 12H or 6m (units: {Units})");
            if (!counts.TryAdd(unit, count))
                throw new BadRequestException($"{key}: \"{value}\" gives the unit {unit} twice");
        }
        if (counts.Values.Sum(c => (long)c) == 0)
            throw new BadRequestException($"{key}: \"{value}\" is no time at all; give a time span such as 3d or \"1w 12H\" (units: {Units})");
        int Count(char unit) => counts.GetValueOrDefault(unit);
        try
        {
            var expiry = new Expiry(Count('y'), Count('m'), checked(Count('d') + 7 * Count('w')), Count('H'), Count('M'), Count('S'));
            if (expiry.After(DateTimeOffset.UnixEpoch) > DateTimeOffset.UnixEpoch.AddYears(1000))
                throw new OverflowException();
            return expiry;
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BadRequestException($"{key}: \"{value}\" is too long; at most 1000 years");
        }
    }

    /// <summary>The moment this long after the given one, in UTC.</summary>
    public DateTimeOffset After(DateTimeOffset time) => time.ToUniversalTime()
        .AddYears(Years).AddMonths(Months).AddDays(Days).AddHours(Hours).AddMinutes(Minutes).AddSeconds(Seconds);
}
