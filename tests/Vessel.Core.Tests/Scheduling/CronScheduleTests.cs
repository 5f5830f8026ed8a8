using System.Globalization;
using Vessel.Core.Scheduling;

namespace Vessel.Core.Tests.Scheduling;

public sealed class CronScheduleTests
{
    private const string Key = "snapshots.schedule";

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc + "Z", CultureInfo.InvariantCulture);

    private static string Next(string schedule, string after) =>
        CronSchedule.Parse(Key, schedule).NextAfter(At(after))!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm ddd", CultureInfo.InvariantCulture);

    private static string Refused(string schedule) => Assert.Throws<BadRequestException>(() => CronSchedule.Parse(Key, schedule)).Message;

    [Theory]
    [InlineData("* * * * *", "2025-03-14 10:07:30", "2025-03-14 10:08 Fri")]
    [InlineData("* * * * *", "2025-03-14 10:07:00", "2025-03-14 10:08 Fri")] // strictly after, even on the minute
    [InlineData("*/15 * * * *", "2025-03-14 10:07", "2025-03-14 10:15 Fri")]
    [InlineData("*/15 * * * *", "2025-03-14 10:45", "2025-03-14 11:00 Fri")]
    [InlineData("5,35 2 * * *", "2025-03-14 02:05", "2025-03-14 02:35 Fri")]
    [InlineData("5,35 2 * * *", "2025-03-14 02:35", "2025-03-15 02:05 Sat")]
    [InlineData("0 1-5/2 * * *", "2025-03-14 01:00", "2025-03-14 03:00 Fri")]
    [InlineData("0 1-5/2 * * *", "2025-03-14 05:00", "2025-03-15 01:00 Sat")]
    [InlineData("10/20 * * * *", "2025-03-14 10:31", "2025-03-14 10:50 Fri")] // 10, 30, 50
    [InlineData("0 0 1 * *", "2025-01-31 12:00", "2025-02-01 00:00 Sat")]
    [InlineData("0 0 31 * *", "2025-01-31 00:00", "2025-03-31 00:00 Mon")] // February and its missing 31st are skipped
    [InlineData("0 0 29 2 *", "2025-03-01 00:00", "2028-02-29 00:00 Tue")] // the next leap day
    [InlineData("0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00 Fri")] // 2100 is no leap year
    [InlineData("0 12 * jan,jul *", "2025-03-14 00:00", "2025-07-01 12:00 Tue")]
    [InlineData("0 12 * JUN-aug *", "2025-03-14 00:00", "2025-06-01 12:00 Sun")]
    [InlineData("0 9 * * mon-fri", "2025-03-14 09:00", "2025-03-17 09:00 Mon")] // Friday 09:00 → Monday
    [InlineData("0 9 * * 0", "2025-03-14 00:00", "2025-03-16 09:00 Sun")]
    [InlineData("0 9 * * 7", "2025-03-14 00:00", "2025-03-16 09:00 Sun")] // 7 is Sunday too
    [InlineData("0 9 * * 5-7", "2025-03-15 10:00", "2025-03-16 09:00 Sun")]
    [InlineData("0 0 13 * fri", "2025-03-14 00:00", "2025-03-21 00:00 Fri")] // both restricted: the 13th OR a Friday
    [InlineData("0 0 13 * fri", "2025-03-21 00:00", "2025-03-28 00:00 Fri")]
    [InlineData("0 0 13 * fri", "2025-04-11 00:00", "2025-04-13 00:00 Sun")]
    [InlineData("0 0 */2 * fri", "2025-03-14 00:00", "2025-03-21 00:00 Fri")] // a day field starting with *: AND (the 21st is odd and a Friday)
    [InlineData("0 0 1 * *, 30 12 * * *", "2025-03-14 13:00", "2025-03-15 12:30 Sat")] // a list: the earliest entry
    [InlineData("@hourly", "2025-03-14 10:07", "2025-03-14 11:00 Fri")]
    [InlineData("@daily", "2025-03-14 10:07", "2025-03-15 00:00 Sat")]
    [InlineData("@midnight", "2025-03-14 10:07", "2025-03-15 00:00 Sat")]
    [InlineData("@weekly", "2025-03-14 10:07", "2025-03-16 00:00 Sun")]
    [InlineData("@monthly", "2025-03-14 10:07", "2025-04-01 00:00 Tue")]
    [InlineData("@yearly", "2025-03-14 10:07", "2026-01-01 00:00 Thu")]
    [InlineData("@ANNUALLY", "2025-03-14 10:07", "2026-01-01 00:00 Thu")]
    [InlineData("59 23 31 12 *", "2025-12-31 23:59", "2026-12-31 23:59 Thu")]
    public void NextAfter_FindsTheNextMinute(string schedule, string after, string expected) =>
        Assert.Equal(expected, Next(schedule, after));

    [Fact]
    public void NextAfter_TakesAnyOffset_AndAnswersInUtc()
    {
        var schedule = CronSchedule.Parse(Key, "0 2 * * *");
        var next = schedule.NextAfter(new DateTimeOffset(2025, 3, 14, 3, 30, 0, TimeSpan.FromHours(2)))!.Value; // 01:30 UTC

        Assert.Equal(new DateTimeOffset(2025, 3, 14, 2, 0, 0, TimeSpan.Zero), next);
        Assert.Equal(TimeSpan.Zero, next.Offset);
    }

    [Fact]
    public void NextAfter_IgnoresDaylightSaving_BecauseSchedulesAreInUtc()
    {
        // 30 March 2025 is the night Europe's clocks go forward; in UTC it is an ordinary night of 24 hours.
        var schedule = CronSchedule.Parse(Key, "30 1 * * *");
        Assert.Equal(At("2025-03-30 01:30"), schedule.NextAfter(At("2025-03-29 01:30")));
        Assert.Equal(At("2025-03-31 01:30"), schedule.NextAfter(At("2025-03-30 01:30")));
    }

    [Theory]
    [InlineData("0 2 * * *", "2025-03-14 02:00:59", true)]
    [InlineData("0 2 * * *", "2025-03-14 02:01:00", false)]
    [InlineData("0 2 * * sat", "2025-03-14 02:00", false)]
    [InlineData("0 0 13 * fri", "2025-06-13 00:00", true)]
    [InlineData("0 0 13 * fri", "2025-06-20 00:00", true)]
    [InlineData("0 0 13 * fri", "2025-06-19 00:00", false)]
    public void Matches_TheMinuteThatHoldsTheTime(string schedule, string time, bool expected) =>
        Assert.Equal(expected, CronSchedule.Parse(Key, schedule).Matches(At(time)));

    [Fact]
    public void Never_HasNoNextTime()
    {
        var schedule = CronSchedule.Parse(Key, "@never");

        Assert.True(schedule.IsNever);
        Assert.Null(schedule.NextAfter(At("2025-03-14 00:00")));
        Assert.False(schedule.Matches(At("2025-01-01 00:00")));
    }

    [Theory]
    [InlineData("61 * * * *", "snapshots.schedule: minute field \"61\" is out of range 0-59")]
    [InlineData("0,61 * * * *", "snapshots.schedule: minute field \"61\" is out of range 0-59")]
    [InlineData("0 24 * * *", "snapshots.schedule: hour field \"24\" is out of range 0-23")]
    [InlineData("0 0 0 * *", "snapshots.schedule: day-of-month field \"0\" is out of range 1-31")]
    [InlineData("0 0 * 13 *", "snapshots.schedule: month field \"13\" is out of range 1-12")]
    [InlineData("0 0 * * 8", "snapshots.schedule: day-of-week field \"8\" is out of range 0-7")]
    [InlineData("0 0 * * funday", "snapshots.schedule: day-of-week field \"funday\" is not a number (0-7), a name (sun, mon, tue, wed, thu, fri, sat), a range, a list or a step")]
    [InlineData("0 0 * foo *", "snapshots.schedule: month field \"foo\" is not a number (1-12), a name (jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec), a range, a list or a step")]
    [InlineData("x * * * *", "snapshots.schedule: minute field \"x\" is not a number, a range (1-5), a list (1,3) or a step (*/15)")]
    [InlineData("mon * * * *", "snapshots.schedule: minute field \"mon\" is not a number, a range (1-5), a list (1,3) or a step (*/15)")]
    [InlineData("*/0 * * * *", "snapshots.schedule: minute field \"*/0\" has the step \"0\"; a step is a whole number from 1")]
    [InlineData("*/x * * * *", "snapshots.schedule: minute field \"*/x\" has the step \"x\"; a step is a whole number from 1")]
    [InlineData("1/2/3 * * * *", "snapshots.schedule: minute field \"1/2/3\" has more than one '/'")]
    [InlineData("0 5-2 * * *", "snapshots.schedule: hour field \"5-2\" runs backwards; write the smaller value first")]
    [InlineData("0 1, * * *", "snapshots.schedule: \"0 1\" has 2 fields; a schedule has 5 (minute hour day-of-month month day-of-week) or is a shortcut such as @daily")]
    [InlineData("0 0 * *", "snapshots.schedule: \"0 0 * *\" has 4 fields; a schedule has 5 (minute hour day-of-month month day-of-week) or is a shortcut such as @daily")]
    [InlineData("0 0 0 * * *", "snapshots.schedule: \"0 0 0 * * *\" has 6 fields; a schedule has 5 (minute hour day-of-month month day-of-week) or is a shortcut such as @daily")]
    [InlineData("", "snapshots.schedule: \"\" has 0 fields; a schedule has 5 (minute hour day-of-month month day-of-week) or is a shortcut such as @daily")]
    [InlineData("@fortnightly", "snapshots.schedule: \"@fortnightly\" is not a known shortcut (known: @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, @never)")]
    [InlineData("0 0 30 2 *", "snapshots.schedule: \"0 0 30 2 *\" never comes: no chosen month has the chosen day")]
    [InlineData("0 0 31 4,6 *", "snapshots.schedule: \"0 0 31 4,6 *\" never comes: no chosen month has the chosen day")]
    [InlineData("0 0 1,,2 * *", "snapshots.schedule: day-of-month field \"\" is not a number, a range (1-5), a list (1,3) or a step (*/15)")]
    [InlineData("0 0 -1 * *", "snapshots.schedule: day-of-month field \"-1\" is not a number, a range (1-5), a list (1,3) or a step (*/15)")]
    public void Parse_RefusesWithAMessageNamingTheField(string schedule, string expected) =>
        Assert.Equal(expected, Refused(schedule));
}
