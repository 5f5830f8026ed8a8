using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class CpuSetTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("3", new[] { 3 })]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("0-1,3", new[] { 0, 1, 3 })]
    [InlineData("5,1,3", new[] { 1, 3, 5 })]
    [InlineData("0-2,1-3", new[] { 0, 1, 2, 3 })]
    [InlineData("2,2", new[] { 2 })]
    [InlineData("4-4", new[] { 4 })]
    [InlineData("4095", new[] { 4095 })]
    public void Parse_GivesSortedDistinctCpus(string text, int[] cpus) => Assert.Equal(cpus, CpuSet.Parse("limits.cpu", text));

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    [InlineData("0,")]
    [InlineData("0,,1")]
    [InlineData("1-")]
    [InlineData("-1")]
    [InlineData("3-1")]
    [InlineData("0-1-2")]
    [InlineData("a")]
    [InlineData(" 1")]
    [InlineData("+1")]
    [InlineData("4096")]
    [InlineData("0-4096")]
    public void Parse_Invalid_IsRefusedNamingTheField(string text)
    {
        var e = Assert.Throws<BadRequestException>(() => CpuSet.Parse("limits.cpu", text));

        Assert.Equal($"limits.cpu: \"{text}\" is not a CPU count or a CPU set such as 0-1,3", e.Message);
    }

    [Fact]
    public void Format_JoinsWithCommas() => Assert.Equal("0,1,3", CpuSet.Format([0, 1, 3]));
}
