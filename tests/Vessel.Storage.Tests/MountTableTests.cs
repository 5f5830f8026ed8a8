using Vessel.Linux;

namespace Vessel.Storage.Tests;

public sealed class MountTableTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // The format of /proc/self/mountinfo: the fifth field is the mount point, with space, tab, newline and backslash escaped.
    private const string MountInfo = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        35 22 0:30 / /var/lib/vessel rw,relatime shared:2 - ext4 /dev/sdb1 rw
        40 35 0:31 / /var/lib/vessel/pools/default/containers/web1/rootfs rw - overlay overlay rw
        41 35 0:32 / /var/lib/vessel/pools/default/containers/web10/rootfs rw - overlay overlay rw
        42 35 8:1 /srv/data /var/lib/vessel/pools/default/containers/web1/rootfs/mnt/my\040data rw - ext4 /dev/sda1 rw
        43 35 0:33 / /var/lib/vessel/pools/default/custom/with\040space rw - tmpfs tmpfs rw
        44 35 0:34 / /var/lib/vessel/pools/default/custom/tab\011and\134slash rw - tmpfs tmpfs rw
        45 22 0:35 / /var/lib/vessel/pools/default/virtual-machines/vm1 rw - tmpfs tmpfs rw
        """;

    private string FakeMountInfo()
    {
        var path = _temp.Combine("mountinfo");
        File.WriteAllText(path, MountInfo + "\n");
        return path;
    }

    private IReadOnlyList<string> Under(string path) => MountTable.MountPointsUnder(path, FakeMountInfo());

    [Fact]
    public void MountsBelowTheVolume_AreFound_Unescaped() =>
        Assert.Equal(
            [
                "/var/lib/vessel/pools/default/containers/web1/rootfs",
                "/var/lib/vessel/pools/default/containers/web1/rootfs/mnt/my data",
            ],
            Under("/var/lib/vessel/pools/default/containers/web1"));

    [Fact]
    public void SiblingWithALongerName_IsNotUnder() =>
        Assert.DoesNotContain("/var/lib/vessel/pools/default/containers/web10/rootfs",
            Under("/var/lib/vessel/pools/default/containers/web1"));

    [Fact]
    public void TheVolumeItselfMounted_Counts() =>
        Assert.Equal(["/var/lib/vessel/pools/default/virtual-machines/vm1"], Under("/var/lib/vessel/pools/default/virtual-machines/vm1"));

    [Fact]
    public void PathWithASpace_MatchesTheEscapedMountPoint() =>
        Assert.Equal(["/var/lib/vessel/pools/default/custom/with space"], Under("/var/lib/vessel/pools/default/custom/with space"));

    [Fact]
    public void TrailingSlashAndDotSegments_AreNormalised() =>
        Assert.Equal(2, Under("/var/lib/vessel/pools/default/containers/../containers/web1/").Count);

    [Fact]
    public void NothingMountedBelow_IsEmpty() => Assert.Empty(Under("/var/lib/vessel/pools/default/custom/empty"));

    [Fact]
    public void ShortOrBlankLines_AreSkipped()
    {
        var path = _temp.Combine("short");
        File.WriteAllText(path, "\n1 2 3\n50 1 0:1 / /x rw - tmpfs tmpfs rw\n");

        Assert.Equal(["/x"], MountTable.MountPointsUnder("/x", path));
    }

    [Theory]
    [InlineData("/var/lib/vessel/pools/default/containers/web1/rootfs/etc", "overlay")]
    [InlineData("/var/lib/vessel/pools/default/containers/web1", "ext4")]
    [InlineData("/var/lib/vessel/pools/default/custom/with space/x", "tmpfs")]
    [InlineData("/var/lib/vessel-other", "ext4")]
    [InlineData("/srv", "ext4")]
    public void FileSystemTypeOf_IsTheDeepestMountAbove(string path, string type) =>
        Assert.Equal(type, MountTable.FileSystemTypeOf(path, FakeMountInfo()));

    [Fact]
    public void IsMountPoint_OnlyRightAtTheMount()
    {
        Assert.True(MountTable.IsMountPoint("/var/lib/vessel/", FakeMountInfo()));
        Assert.False(MountTable.IsMountPoint("/var/lib/vessel/pools", FakeMountInfo()));
    }

    [Fact]
    public void RealMountTable_CanBeRead() => Assert.Contains("/", MountTable.MountPointsUnder("/"));
}
