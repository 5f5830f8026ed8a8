using System.Globalization;

namespace Vessel.Core.Scheduling;

/// <summary>
/// A cron schedule in UTC: one or more entries separated by ", ", each five fields (minute hour day-of-month month
/// day-of-week) or a shortcut (@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually); "@never" is none.
/// Fields take *, numbers, names (jan…dec, sun…sat), ranges, lists and steps (*/15, 1-5/2, 10/20 = 10 to the end
/// by 20); day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted (neither starts
/// with *) a day matches either of them; otherwise both.
/// </summary>
/// <remarks>
/// UTC, not the host's time zone: the daemon's logs, API times and stored times are UTC, and a UTC schedule never
/// skips or repeats a run at a daylight saving change.
/// </remarks>
public sealed class CronSchedule
{
    public const string Never = "@never";

    private static readonly Dictionary<string, string> Shortcuts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@hourly"] = "0 * * * *",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *",
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
    };

    private static readonly string[] MonthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private sealed record Field(string Name, int Min, int Max, string[]? Names = null, int NamesFrom = 0);

    private static readonly Field[] Fields =
    [
        new("minute", 0, 59),
        new("hour", 0, 23),
        new("day-of-month", 1, 31),
        new("month", 1, 12, MonthNames, 1),
        new("day-of-week", 0, 7, DayNames),
    ];

    /// <summary>One five-field entry: a bit per allowed value of each field.</summary>
    private sealed record Entry(ulong Minutes, ulong Hours, ulong Days, ulong Months, ulong Weekdays, bool DayOr)
    {
        public bool Matches(DateTime t) =>
            Has(Months, t.Month) && DayMatches(t) && Has(Hours, t.Hour) && Has(Minutes, t.Minute);

        public bool DayMatches(DateTime t) => DayOr
            ? Has(Days, t.Day) || Has(Weekdays, (int)t.DayOfWeek)
            : Has(Days, t.Day) && Has(Weekdays, (int)t.DayOfWeek);
    }

    private readonly Entry[] _entries;

    private CronSchedule(Entry[] entries) => _entries = entries;

    /// <summary>True for "@never": a schedule that takes nothing.</summary>
    public bool IsNever => _entries.Length == 0;

    /// <summary>Parses a schedule; errors name the key, the field and what is wrong with it.</summary>
    public static CronSchedule Parse(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split(", ", StringSplitOptions.TrimEntries);
        if (parts.Length == 1 && parts[0].Equals(Never, StringComparison.OrdinalIgnoreCase))
            return new CronSchedule([]);
        var schedule = new CronSchedule([.. parts.Select(p => ParseEntry(key, p))]);
        if (schedule.NextAfter(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)) is null)
            throw new BadRequestException($"{key}: \"{value}\" never comes: no chosen month has the chosen day");
        return schedule;
    }

    private static Entry ParseEntry(string key, string text)
    {
        if (text.StartsWith('@'))
            text = Shortcuts.GetValueOrDefault(text) ?? throw new BadRequestException(
                $"{key}: \"{text}\" is not a known shortcut (known: {string.Join(", ", Shortcuts.Keys)}, {Never})");
        var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
            throw new BadRequestException(
                $"{key}: \"{text}\" has {fields.Length} fields; a schedule has 5 (minute hour day-of-month month day-of-week) or is a shortcut such as @daily");
        var bits = new ulong[5];
        for (var i = 0; i < 5; i++)
            bits[i] = ParseField(key, Fields[i], fields[i]);
        if ((bits[4] & (1UL << 7)) != 0)
            bits[4] = (bits[4] & ~(1UL << 7)) | 1; // 7 is Sunday too
        var dayOr = !fields[2].StartsWith('*') && !fields[4].StartsWith('*');
        return new Entry(bits[0], bits[1], bits[2], bits[3], bits[4], dayOr);
    }

    private static ulong ParseField(string key, Field field, string text)
    {
        ulong bits = 0;
        foreach (var item in text.Split(','))
        {
            var (range, step) = item.Split('/') switch
            {
                [var r] => (r, 1),
                [var r, var s] => (r, int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw new BadRequestException($"{key}: {field.Name} field \"{item}\" has the step \"{s}\"; a step is a whole number from 1")),
                _ => throw new BadRequestException($"{key}: {field.Name} field \"{item}\" has more than one '/'"),
            };
            int from, to;
            if (range == "*")
            {
                (from, to) = (field.Min, field.Max);
            }
            else if (range.Split('-') is [var a, var b])
            {
                (from, to) = (Value(key, field, a, item), Value(key, field, b, item));
                if (from > to)
                    throw new BadRequestException($"{key}: {field.Name} field \"{item}\" runs backwards; write the smaller value first");
            }
            else
            {
                from = Value(key, field, range, item);
                to = item.Contains('/') ? field.Max : from; // 10/20: from 10 to the end, every 20
            }
            for (var v = from; v <= to; v += step)
                bits |= 1UL << v;
        }
        return bits;
    }

    private static int Value(string key, Field field, string text, string item)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            if (n < field.Min || n > field.Max)
                throw new BadRequestException($"{key}: {field.Name} field \"{item}\" is out of range {field.Min}-{field.Max}");
            return n;
        }
        var index = field.Names is null ? -1 : Array.FindIndex(field.Names, name => name.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
            throw new BadRequestException(field.Names is null
                ? $"{key}: {field.Name} field \"{item}\" is not a number, a range (1-5), a list (1,3) or a step (*/15)"
                : $"{key}: {field.Name} field \"{item}\" is not a number ({field.Min}-{field.Max}), a name ({string.Join(", ", field.Names)}), a range, a list or a step");
        return index + field.NamesFrom;
    }

    private static bool Has(ulong bits, int value) => (bits & (1UL << value)) != 0;

    /// <summary>True when the schedule fires in the minute that holds the time (taken in UTC).</summary>
    public bool Matches(DateTimeOffset time)
    {
        var t = time.UtcDateTime;
        return _entries.Any(e => e.Matches(t));
    }

    /// <summary>The first whole minute (UTC) after the time at which the schedule fires; null for @never.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset time)
    {
        DateTimeOffset? next = null;
        foreach (var entry in _entries)
        {
            if (NextAfter(entry, time.UtcDateTime) is { } t && (next is null || t < next))
                next = t;
        }
        return next;
    }

    private static DateTimeOffset? NextAfter(Entry entry, DateTime time)
    {
        var t = new DateTime(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        // Eight years hold every day of the calendar a schedule can name (29 February included: 2096, then 2104).
        var end = t.AddYears(9);
        while (t < end)
        {
            if (!Has(entry.Months, t.Month))
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            else if (!entry.DayMatches(t))
                t = t.Date.AddDays(1);
            else if (!Has(entry.Hours, t.Hour))
                t = t.Date.AddHours(t.Hour + 1);
            else if (!Has(entry.Minutes, t.Minute))
                t = t.AddMinutes(1);
            else
                return new DateTimeOffset(t);
        }
        return null;
    }
}
