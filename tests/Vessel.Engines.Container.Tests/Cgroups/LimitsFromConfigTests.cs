using Vessel.Core;
using Vessel.Core.Validation;
using Vessel.Engines.Container.Cgroups;

namespace Vessel.Engines.Container.Tests.Cgroups;

public sealed class LimitsFromConfigTests
{
    private const long GiB = 1L << 30;
    private static readonly HostResources Host = new(CpuCount: 4, MemoryBytes: 8 * GiB);

    private static CgroupLimits Parse(params (string Key, string Value)[] config) =>
        LimitsFromConfig.Parse(config.ToDictionary(c => c.Key, c => c.Value), Host);

    [Fact]
    public void Parse_NoKeys_IsUnlimitedWithSwap()
    {
        var limits = Parse(("user.note", "hello"), ("boot.autostart", "true"));

        Assert.Equal(CgroupLimits.Unlimited, limits);
    }

    [Fact]
    public void Parse_CpuCount_PinsToTheFirstCpus()
    {
        Assert.Equal([0, 1], Parse(("limits.cpu", "2")).Cpus);
    }

    [Fact]
    public void Parse_CpuSet_TakesItAsWritten()
    {
        Assert.Equal([0, 1, 3], Parse(("limits.cpu", "0-1,3")).Cpus);
    }

    [Fact]
    public void Parse_AllowancePercent_IsSoftWeight()
    {
        var limits = Parse(("limits.cpu.allowance", "50%"));

        Assert.Equal(50, limits.CpuWeight);
        Assert.Null(limits.CpuQuota);
    }

    [Fact]
    public void Parse_AllowanceQuota_IsHardQuotaInMicroseconds()
    {
        var limits = Parse(("limits.cpu.allowance", "25ms/100ms"));

        Assert.Equal((25_000L, 100_000L), limits.CpuQuota);
        Assert.Null(limits.CpuWeight);
    }

    [Theory]
    [InlineData(null, "7", 97)]
    [InlineData("50%", "10", 50)]
    [InlineData("50%", "0", 40)]
    [InlineData("5%", "0", 1)]
    [InlineData("25ms/100ms", "8", 98)]
    public void Parse_Priority_LowersWeightLikeIncus(string? allowance, string priority, long weight)
    {
        var config = new Dictionary<string, string> { ["limits.cpu.priority"] = priority };
        if (allowance is not null)
            config["limits.cpu.allowance"] = allowance;

        Assert.Equal(weight, LimitsFromConfig.Parse(config, Host).CpuWeight);
    }

    [Theory]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData("50%", 4L << 30)]
    [InlineData("100%", 8L << 30)]
    public void Parse_Memory_IsBytes(string value, long bytes)
    {
        Assert.Equal(bytes, Parse(("limits.memory", value)).MemoryBytes);
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void Parse_Swap_FollowsKey(string value, bool allowed)
    {
        Assert.Equal(allowed, Parse(("limits.memory", "1GiB"), ("limits.memory.swap", value)).SwapAllowed);
    }

    [Fact]
    public void Parse_Processes_IsPidsMax()
    {
        Assert.Equal(100, Parse(("limits.processes", "100")).Pids);
    }

    [Theory]
    [InlineData("0", 1)]
    [InlineData("5", 100)]
    [InlineData("10", 200)]
    public void Parse_DiskPriority_IsIoWeight(string priority, long weight)
    {
        Assert.Equal(weight, Parse(("limits.disk.priority", priority)).IoWeight);
    }

    [Theory]
    [InlineData("limits.cpu", "9")]
    [InlineData("limits.cpu", "0-7")]
    [InlineData("limits.cpu.allowance", "150%")]
    [InlineData("limits.cpu.allowance", "25ms")]
    [InlineData("limits.cpu.priority", "11")]
    [InlineData("limits.memory", "lots")]
    [InlineData("limits.memory", "64GiB")]
    [InlineData("limits.memory.swap", "maybe")]
    [InlineData("limits.processes", "0")]
    [InlineData("limits.disk.priority", "-1")]
    public void Parse_BadValue_NamesTheKey(string key, string value)
    {
        var error = Assert.Throws<BadRequestException>(() => Parse((key, value)));

        Assert.StartsWith(key + ":", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckApplicable_AnIoWeightThatTakesNoEffect_NamesTheKeyAndWhy()
    {
        var e = Assert.Throws<BadRequestException>(() =>
            LimitsFromConfig.CheckApplicable(Parse(("limits.disk.priority", "5")), () => new CgroupApplyResult(IoWeightApplied: false, SwapLimitApplied: true)));

        Assert.StartsWith("limits.disk.priority: this host's block I/O controller has no weight that takes effect (", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckApplicable_NoSwapWithoutSwapAccounting_NamesTheKey()
    {
        var e = Assert.Throws<BadRequestException>(() => LimitsFromConfig.CheckApplicable(
            Parse(("limits.memory", "1GiB"), ("limits.memory.swap", "false")), () => new CgroupApplyResult(IoWeightApplied: true, SwapLimitApplied: false)));

        Assert.StartsWith("limits.memory.swap: this host cannot limit swap (", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckApplicable_LimitsNotSet_NeedNoFile() =>
        LimitsFromConfig.CheckApplicable(Parse(("limits.memory", "1GiB")), () => new CgroupApplyResult(IoWeightApplied: false, SwapLimitApplied: false));
}
