using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class BitRatesTests
{
    [Theory]
    [InlineData("100Mbit", 100_000_000L)]
    [InlineData("1Gbit", 1_000_000_000L)]
    [InlineData("500kbit", 500_000L)]
    [InlineData("8kbit", 8_000L)]
    [InlineData("8000bit", 8_000L)]
    [InlineData("100MBIT", 100_000_000L)]
    [InlineData("10gbit", 10_000_000_000L)]
    [InlineData(" 10Mbit ", 10_000_000L)]
    [InlineData("100Gbit", 100_000_000_000L)]
    public void Parse_KnownForms_GiveBitsPerSecond(string text, long rate) => Assert.Equal(rate, BitRates.Parse("limits.ingress", text));

    [Theory]
    [InlineData("100")]
    [InlineData("100Mbps")]
    [InlineData("100MB")]
    [InlineData("1.5Mbit")]
    [InlineData("0Mbit")]
    [InlineData("-1Mbit")]
    [InlineData("+1Mbit")]
    [InlineData("Mbit")]
    [InlineData("100 Mbit")]
    [InlineData("9223372037Gbit")]
    [InlineData("9223372036854775808bit")]
    [InlineData("")]
    [InlineData("fast")]
    public void Parse_NotARate_IsRefusedNamingTheField(string text) =>
        Assert.Equal($"limits.egress: \"{text}\" is not a rate such as 100Mbit, 1Gbit or 500kbit",
            Assert.Throws<BadRequestException>(() => BitRates.Parse("limits.egress", text)).Message);

    [Theory]
    [InlineData("7999bit")]
    [InlineData("7kbit")]
    [InlineData("1bit")]
    public void Parse_BelowEightKilobits_IsRefused(string text) =>
        Assert.Equal($"limits.ingress: {text} is below the smallest rate, 8kbit",
            Assert.Throws<BadRequestException>(() => BitRates.Parse("limits.ingress", text)).Message);

    [Fact]
    public void Parse_AboveTheLargestRate_IsRefused() =>
        Assert.Equal("limits.ingress: 101Gbit is above the largest rate, 100Gbit",
            Assert.Throws<Vessel.Core.BadRequestException>(() => BitRates.Parse("limits.ingress", "101Gbit")).Message);
}
