using Vessel.Engines.Container.Cgroups;

namespace Vessel.Engines.Container.Tests.Cgroups;

public sealed class CgroupWeightsTests
{
    [Theory]
    [InlineData(100, 1024)]
    [InlineData(50, 512)]
    [InlineData(1, 10)]
    [InlineData(10_000, 102_400)]
    public void ToCpuShares_V2Weight_KeepsDefaultsAligned(long weight, long shares) =>
        Assert.Equal(shares, CgroupWeights.ToCpuShares(weight));

    [Theory]
    [InlineData(100, 500)]
    [InlineData(1, 10)]
    [InlineData(200, 1000)]
    [InlineData(10_000, 1000)]
    public void ToBlkioWeight_V2Weight_FitsCfqRange(long weight, long blkio) =>
        Assert.Equal(blkio, CgroupWeights.ToBlkioWeight(weight));

    [Theory]
    [InlineData(100, 100)]
    [InlineData(1, 1)]
    [InlineData(10_000, 1000)]
    public void ToBfqWeight_V2Weight_FitsBfqRange(long weight, long bfq) =>
        Assert.Equal(bfq, CgroupWeights.ToBfqWeight(weight));
}
