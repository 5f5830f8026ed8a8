using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class SizesTests
{
    [Theory]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("100kB", 100_000L)]
    [InlineData("100KB", 100_000L)]
    [InlineData("4KiB", 4096L)]
    [InlineData("3TiB", 3L << 40)]
    [InlineData("1PB", 1_000_000_000_000_000L)]
    [InlineData("7EiB", 7L << 60)]
    [InlineData("12B", 12L)]
    [InlineData("12345", 12345L)]
    [InlineData("0", 0L)]
    [InlineData(" 512 MiB ", 512L << 20)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Parse_KnownForms_GiveBytes(string text, long bytes) => Assert.Equal(bytes, Sizes.Parse("size", text));

    [Theory]
    [InlineData("")]
    [InlineData("MiB")]
    [InlineData("1.5GiB")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1 G")]
    [InlineData("1gib")]
    [InlineData("1mb")]
    [InlineData("1iB")]
    [InlineData("10XB")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    public void TryParse_BadUnitsOrNumbers_Fail(string text) => Assert.False(Sizes.TryParse(text, out _));

    [Theory]
    [InlineData("8EiB")]
    [InlineData("10EB")]
    [InlineData("9223372036854775808")]
    [InlineData("9007199254740992KiB")]
    public void TryParse_Overflow_Fails(string text) => Assert.False(Sizes.TryParse(text, out _));

    [Fact]
    public void Parse_Bad_NamesTheFieldAndTheText()
    {
        var e = Assert.Throws<BadRequestException>(() => Sizes.Parse("devices.root.size", "lots"));

        Assert.Equal("devices.root.size: \"lots\" is not a size; use a whole number with a unit such as 512MiB, 1GiB or 2GB", e.Message);
    }

    [Theory]
    [InlineData(0L, "0B")]
    [InlineData(12L, "12B")]
    [InlineData(1023L, "1023B")]
    [InlineData(1024L, "1KiB")]
    [InlineData(1536L, "1.5KiB")]
    [InlineData(512L << 20, "512MiB")]
    [InlineData(3L << 29, "1.5GiB")]
    [InlineData(1L << 30, "1GiB")]
    [InlineData(2_000_000_000L, "1.86GiB")]
    [InlineData(5L << 40, "5TiB")]
    [InlineData(long.MaxValue, "8EiB")]
    public void Format_UsesBinaryUnitsWithUpToTwoDecimals(long bytes, string text) => Assert.Equal(text, Sizes.Format(bytes));

    [Theory]
    [InlineData(512L << 20)]
    [InlineData(1L << 30)]
    [InlineData(4096L)]
    [InlineData(100L)]
    public void Format_ThenParse_RoundTripsWholeUnits(long bytes) => Assert.Equal(bytes, Sizes.Parse("size", Sizes.Format(bytes)));
}
