namespace Vessel.Linux.Tests;

public sealed class CgroupCheckTests : IDisposable
{
    private readonly FakeHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void FullV2_IsOk_AndReadsControllersFromTheFakeTree()
    {
        _host.File("/proc/self/mountinfo", CgroupSamples.PureV2)
            .File("/sys/fs/cgroup/cgroup.controllers", CgroupSamples.PureV2Controllers);

        var check = _host.Check("cgroups");

        Assert.Equal(CheckStatus.Ok, check.Status);
        Assert.StartsWith("v2 at /sys/fs/cgroup: cpuset, cpu, io", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void V2WithoutEssentialControllers_Fails()
    {
        _host.File("/proc/self/mountinfo", CgroupSamples.PureV2)
            .File("/sys/fs/cgroup/cgroup.controllers", "cpuset io\n");

        var check = _host.Check("cgroups");

        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.NotNull(check.Fix);
    }

    [Fact]
    public void V1WithoutFreezer_Warns()
    {
        var withoutFreezer = string.Join('\n', CgroupSamples.PureV1.Split('\n').Where(l => !l.Contains("freezer", StringComparison.Ordinal)));
        _host.File("/proc/self/mountinfo", withoutFreezer);

        var check = _host.Check("cgroups");

        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.EndsWith("missing: freezer", check.Detail, StringComparison.Ordinal);
        Assert.NotNull(check.Fix);
    }

    [Fact]
    public void HybridLikeThisHost_IsOk_AndNamesTheUnifiedMount()
    {
        _host.File("/proc/self/mountinfo", CgroupSamples.HybridLikeBuildHost)
            .File("/sys/fs/cgroup/unified/cgroup.controllers", CgroupSamples.HybridLikeBuildHostControllers);

        var check = _host.Check("cgroups");

        Assert.Equal(CheckStatus.Ok, check.Status);
        Assert.Equal(
            "hybrid: v1 cpu, cpuacct, cpuset, memory, devices, freezer, blkio, pids; cgroup2 at /sys/fs/cgroup/unified: hugetlb",
            check.Detail);
    }

    [Fact]
    public void NoMountinfo_Fails()
    {
        Assert.Equal(CheckStatus.Fail, _host.Check("cgroups").Status);
    }
}
