using System.Globalization;
using Vessel.Core.Scheduling;

namespace Vessel.Core.Tests.Scheduling;

public sealed class ExpiryTests
{
    private static readonly DateTimeOffset Taken = new(2025, 1, 31, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("30S", "2025-01-31 10:00:30")]
    [InlineData("6M", "2025-01-31 10:06:00")] // M is minutes, as in Incus
    [InlineData("1H", "2025-01-31 11:00:00")]
    [InlineData("2d", "2025-02-02 10:00:00")]
    [InlineData("3w", "2025-02-21 10:00:00")]
    [InlineData("1m", "2025-02-28 10:00:00")] // m is months: a calendar month, clamped to the end of February
    [InlineData("1y", "2026-01-31 10:00:00")]
    [InlineData("1d 3H", "2025-02-01 13:00:00")]
    [InlineData("  1w   2d ", "2025-02-09 10:00:00")]
    [InlineData("1y 2m 3w 4d 5H 6M 7S", "2026-04-25 15:06:07")]
    [InlineData("0d 1H", "2025-01-31 11:00:00")]
    public void After_AddsTheSpan(string expiry, string expected) =>
        Assert.Equal(expected, Expiry.Parse("snapshots.expiry", expiry).After(Taken).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));

    [Fact]
    public void After_CountsInUtc()
    {
        var local = new DateTimeOffset(2025, 1, 31, 23, 0, 0, TimeSpan.FromHours(-5)); // 1 February 04:00 UTC
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 4, 0, 0, TimeSpan.Zero), Expiry.Parse("x", "1m").After(local));
    }

    [Theory]
    [InlineData("", "snapshots.expiry: \"\" is no time at all; give a time span such as 3d or \"1w 12H\" (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("0d", "snapshots.expiry: \"0d\" is no time at all; give a time span such as 3d or \"1w 12H\" (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("3", "snapshots.expiry: \"3\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("3D", "snapshots.expiry: \"3D\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("1h", "snapshots.expiry: \"1h\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("-1d", "snapshots.expiry: \"-1d\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("1d2H", "snapshots.expiry: \"1d2H\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("1d 2d", "snapshots.expiry: \"1d 2d\" gives the unit d twice")]
    [InlineData("1001y", "snapshots.expiry: \"1001y\" is too long; at most 1000 years")]
    [InlineData("2147483647w", "snapshots.expiry: \"2147483647w\" is too long; at most 1000 years")]
    [InlineData("99999999999d", "snapshots.expiry: \"99999999999d\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    public void Parse_Refuses(string expiry, string expected) =>
        Assert.Equal(expected, Assert.Throws<BadRequestException>(() => Expiry.Parse("snapshots.expiry", expiry)).Message);
}
