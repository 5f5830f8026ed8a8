namespace Vessel.Linux.Tests;

public sealed class CgroupDetectorTests
{
    [Fact]
    public void PureV2_TakesControllersFromTheUnifiedRoot()
    {
        var layout = CgroupDetector.Parse(CgroupSamples.PureV2, CgroupSamples.PureV2Controllers);

        Assert.Equal(CgroupVersion.V2, layout.Version);
        Assert.Equal("/sys/fs/cgroup", layout.UnifiedMount);
        Assert.Empty(layout.V1Mounts);
        Assert.Equal(["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"], layout.Controllers);
    }

    [Fact]
    public void PureV1_MapsEachControllerToItsHierarchy_AndSkipsNamedOnes()
    {
        var layout = CgroupDetector.Parse(CgroupSamples.PureV1, null);

        Assert.Equal(CgroupVersion.V1, layout.Version);
        Assert.Null(layout.UnifiedMount);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Mounts["cpu"]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", layout.V1Mounts["cpuacct"]);
        Assert.Equal("/sys/fs/cgroup/net_cls,net_prio", layout.V1Mounts["net_prio"]);
        Assert.Equal(["cpu", "cpuacct", "memory", "pids", "net_cls", "net_prio", "blkio", "cpuset", "freezer"], layout.Controllers);
        Assert.DoesNotContain(layout.Controllers, c => c.Contains("systemd", StringComparison.Ordinal) || c is "rw" or "xattr");
    }

    [Fact]
    public void HybridLikeThisHost_HasBothAndUnionsTheControllers()
    {
        var layout = CgroupDetector.Parse(CgroupSamples.HybridLikeBuildHost, CgroupSamples.HybridLikeBuildHostControllers);

        Assert.Equal(CgroupVersion.Hybrid, layout.Version);
        Assert.Equal("/sys/fs/cgroup/unified", layout.UnifiedMount);
        Assert.Equal(8, layout.V1Mounts.Count);
        Assert.Equal("/sys/fs/cgroup/freezer", layout.V1Mounts["freezer"]);
        Assert.False(layout.V1Mounts.ContainsKey("hugetlb"));
        Assert.Equal(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb"], layout.Controllers);
    }

    [Fact]
    public void NamedV1HierarchyBesideCgroup2_IsV2()
    {
        const string systemdHybridWithoutControllers = """
            27 25 0:24 / /sys/fs/cgroup/systemd rw,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
            28 25 0:25 / /sys/fs/cgroup/unified rw,relatime shared:11 - cgroup2 cgroup2 rw

            """;

        var layout = CgroupDetector.Parse(systemdHybridWithoutControllers, "cpu memory pids");

        Assert.Equal(CgroupVersion.V2, layout.Version);
        Assert.Equal(["cpu", "memory", "pids"], layout.Controllers);
    }

    [Fact]
    public void NoCgroupMounts_IsNone()
    {
        var layout = CgroupDetector.Parse("28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n", null);

        Assert.Equal(CgroupVersion.None, layout.Version);
        Assert.Empty(layout.Controllers);
    }

    [Fact]
    public void EscapedMountPoint_IsUnescaped_AndMalformedLinesAreSkipped()
    {
        const string mountinfo = """
            garbage
            1 2 3
            26 22 0:22 / /tmp/my\040cgroup rw,relatime - cgroup2 cgroup2 rw
            """;

        Assert.Equal("/tmp/my cgroup", CgroupDetector.Parse(mountinfo, "").UnifiedMount);
    }
}
