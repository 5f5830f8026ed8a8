using Vessel.Core.Scheduling;

namespace Vessel.Core.Tests.Scheduling;

public sealed class SnapshotPatternTests
{
    private static readonly DateTimeOffset Taken = new(2025, 3, 14, 2, 5, 9, TimeSpan.Zero);

    [Theory]
    [InlineData("snap%d", "", "snap0")]
    [InlineData("snap%d", "snap0", "snap1")]
    [InlineData("snap%d", "snap0 snap7 snap3", "snap8")] // after the highest, as Incus: never reusing an expired one's number
    [InlineData("snap%d", "SNAP4 snapshot other snap-9 snap", "snap5")]
    [InlineData("b%d-x", "b1-x b2-y", "b2-x")]
    [InlineData("auto-{date:yyyyMMdd-HHmm}", "", "auto-20250314-0205")]
    [InlineData("auto-{date:yyyyMMdd-HHmm}", "auto-20250314-0205", "auto-20250314-0205-0")]
    [InlineData("auto-{date:yyyyMMdd-HHmm}", "auto-20250314-0205 auto-20250314-0205-0", "auto-20250314-0205-1")]
    [InlineData("d{date:yy-MM-dd}-%d", "d25-03-14-0 d25-03-13-5", "d25-03-14-1")]
    [InlineData("t{date:HHmmss}", "", "t020509")]
    public void NextName_FollowsThePattern(string pattern, string existing, string expected) =>
        Assert.Equal(expected, SnapshotPattern.NextName(pattern, Taken, existing.Split(' ', StringSplitOptions.RemoveEmptyEntries)));

    [Theory]
    [InlineData("snap%d")]
    [InlineData("auto-{date:yyyyMMdd-HHmm}")]
    [InlineData("nightly")]
    [InlineData("s{date:yyyyMMddHHmmss}-%d")]
    public void Validate_TakesPatternsThatGiveNames(string pattern) => SnapshotPattern.Validate("snapshots.pattern", pattern);

    [Theory]
    [InlineData("%d", "snapshots.pattern: \"0\" must start with a letter")]
    [InlineData("{date:yyyyMMdd}", "snapshots.pattern: \"20000101\" must start with a letter")]
    [InlineData("snap_%d", "snapshots.pattern: \"snap_0\" may hold only letters, digits and dashes, not '_'")]
    [InlineData("snap%d%d", "snapshots.pattern: \"snap%d%d\" has \"%d\" more than once")]
    [InlineData("snap%s", "snapshots.pattern: \"snap%s\" may hold only letters, digits and dashes, not '%'")]
    [InlineData("s-{date:yyyy-MM-dd}-", "snapshots.pattern: \"s-2000-01-01-\" must not end with a dash")]
    [InlineData("s{{ creation_date }}", "snapshots.pattern: \"s{{ creation_date }}\" has a '{' that does not open a {date:FORMAT} placeholder")]
    [InlineData("s{date:yyyyMMdd", "snapshots.pattern: \"s{date:yyyyMMdd\" has a '{' that does not open a {date:FORMAT} placeholder")]
    [InlineData("s{date:}", "snapshots.pattern: a {date:FORMAT} placeholder needs a format such as yyyyMMdd-HHmm")]
    [InlineData("s{date:yyyy_MM}", "snapshots.pattern: the date format \"yyyy_MM\" has \"_MM\" where one of yyyy, yy, MM, dd, HH, mm, ss or a dash belongs")]
    [InlineData("s{date:y}", "snapshots.pattern: the date format \"y\" has \"y\" where one of yyyy, yy, MM, dd, HH, mm, ss or a dash belongs")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghi%d", "snapshots.pattern: \"abcdefghijabcdefghij…\" is 64 characters long; a name is at most 63")]
    public void Validate_RefusesWithTheReason(string pattern, string expected) =>
        Assert.Equal(expected, Assert.Throws<BadRequestException>(() => SnapshotPattern.Validate("snapshots.pattern", pattern)).Message);
}
