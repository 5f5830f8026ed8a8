using Vessel.Core;
using Vessel.Storage.Btrfs;

namespace Vessel.Storage.Tests;

/// <summary>The command lines the btrfs pool runs, what it reads back from btrfs-progs, and its size rules.</summary>
public sealed class BtrfsCommandsTests
{
    [Fact]
    public void Mkfs_ForcesOnlyWhenAskedToWipe()
    {
        Assert.Equal("mkfs.btrfs -q -L vessel-p -- /dev/vdb", BtrfsCommands.Mkfs("/dev/vdb", "vessel-p", force: false).ToString());
        Assert.Equal("mkfs.btrfs -q -f -L vessel-p -- /dev/vdb", BtrfsCommands.Mkfs("/dev/vdb", "vessel-p", force: true).ToString());
    }

    [Fact]
    public void Mount_OfALoopFile_UsesAnAutoclearingLoopDevice()
    {
        Assert.Equal("mount -t btrfs -o loop -- /var/lib/vessel/disks/p.img /var/lib/vessel/pools/p",
            BtrfsCommands.Mount("/var/lib/vessel/disks/p.img", "/var/lib/vessel/pools/p", loop: true).ToString());
        Assert.Equal("mount -t btrfs -- /dev/vdb /var/lib/vessel/pools/p", BtrfsCommands.Mount("/dev/vdb", "/var/lib/vessel/pools/p", loop: false).ToString());
    }

    [Fact]
    public void Growing_TellsTheLoopDeviceThenBtrfs()
    {
        Assert.Equal("losetup --set-capacity /dev/loop3", BtrfsCommands.RefreshLoopSize("/dev/loop3").ToString());
        Assert.Equal("btrfs filesystem resize max /var/lib/vessel/pools/p", BtrfsCommands.GrowToDevice("/var/lib/vessel/pools/p").ToString());
    }

    [Fact]
    public void Snapshot_ReadOnlyOrWritable()
    {
        Assert.Equal("btrfs -q subvolume snapshot -r -- /p/c/rootfs /p/c/snapshots/s1", BtrfsCommands.Snapshot("/p/c/rootfs", "/p/c/snapshots/s1", readOnly: true).ToString());
        Assert.Equal("btrfs -q subvolume snapshot -- /p/i/x /p/c/rootfs", BtrfsCommands.Snapshot("/p/i/x", "/p/c/rootfs", readOnly: false).ToString());
    }

    [Fact]
    public void QuotaLimit_IsExclusive_AndNoneLiftsIt()
    {
        Assert.Equal("btrfs qgroup limit -e 1073741824 /p/c/rootfs", BtrfsCommands.LimitExclusive("/p/c/rootfs", 1L << 30).ToString());
        Assert.Equal("btrfs qgroup limit -e none /p/c/rootfs", BtrfsCommands.LimitExclusive("/p/c/rootfs", null).ToString());
    }

    [Fact]
    public void ParseChildren_MapsTopLevelPathsBelowTheParent()
    {
        const string listing = """
            ID 257 gen 7 top level 256 path pools/a/rootfs
            ID 258 gen 7 top level 256 path pools/a/snapshots/s1
            """;

        Assert.Equal(["/mnt/pools/a/rootfs", "/mnt/pools/a/snapshots/s1"], BtrfsCommands.ParseChildren(listing, "/mnt/pools/a", "pools/a"));
        Assert.Equal(["/m/x"], BtrfsCommands.ParseChildren("ID 300 gen 1 top level 5 path x\n", "/m", "/"));
        Assert.Equal(["/m/c/rootfs"], BtrfsCommands.ParseChildren("ID 300 gen 1 top level 256 path <FS_TREE>/c/rootfs\n", "/m/c", "c"));
        Assert.Empty(BtrfsCommands.ParseChildren("", "/m", "/"));
    }

    [Fact]
    public void Usage_IsTheDeviceSizeAndWhatIsUsedOnIt()
    {
        const string output = """
            Overall:
                Device size:		        1073741824
                Device allocated:		         249954304
                Device unallocated:		         823787520
                Device missing:		                 0
                Device slack:		                 0
                Used:			          52985856
                Free (estimated):		         897220608	(min: 485326848)
                Free (statfs, df):		         896172032
                Data ratio:			              1.00

            Data,single: Size:125829120, Used:52396032 (41.64%)
               /dev/loop0	 125829120
            """;

        var usage = BtrfsUsage.Parse(output);

        Assert.Equal(1073741824, usage.TotalBytes);
        Assert.Equal(52985856, usage.UsedBytes);
        Assert.Throws<InvalidDataException>(() => BtrfsUsage.Parse("ERROR: not a btrfs filesystem"));
    }

    [Theory]
    // btrfs-progs 6.x adds a path column; 5.x has none
    [InlineData("Qgroupid    Referenced    Exclusive   Path \n--------    ----------    ---------   ---- \n0/257          8404992      8392704   containers/c1/rootfs\n")]
    [InlineData("qgroupid         rfer         excl \n--------         ----         ---- \n0/257         8404992      8392704 \n")]
    public void QgroupShow_GivesTheSubvolumesExclusiveBytes(string output) => Assert.Equal(8392704, BtrfsUsage.Exclusive(output));

    [Fact]
    public void QgroupShow_WithoutARow_IsUnreadable() =>
        Assert.Throws<InvalidDataException>(() => BtrfsUsage.Exclusive("Qgroupid    Referenced    Exclusive   Path \n"));

    [Fact]
    public void OwnQgroup_AsksForTheSubvolumesRowInBytes() =>
        Assert.Equal("btrfs qgroup show --raw -f /p/containers/c1/rootfs", BtrfsCommands.ShowOwnQgroup("/p/containers/c1/rootfs").ToString());

    [Theory]
    [InlineData(null, 100L << 30, 20L << 30)]   // a fifth of the free space
    [InlineData(null, 1L << 30, 5L << 30)]      // at least 5 GiB (sparse: it fills only as used)
    [InlineData(null, 1L << 40, 30L << 30)]     // at most 30 GiB
    [InlineData("256MiB", 0, 256L << 20)]
    [InlineData("2GB", 0, 2_000_000_000)]
    public void Size_SettingOrIncusDefault(string? setting, long free, long expected) => Assert.Equal(expected, PoolSize.Of(setting, free));

    [Theory]
    [InlineData("1MiB", "size: 1MiB is out of range; a btrfs pool is 256MiB to 16TiB")]
    [InlineData("17TiB", "size: 17TiB is out of range; a btrfs pool is 256MiB to 16TiB")]
    [InlineData("lots", "size: \"lots\" is not a size; use a whole number with a unit such as 512MiB, 1GiB or 2GB")]
    public void Size_OutOfRangeOrNotASize_IsRefused(string setting, string message) =>
        Assert.Equal(message, Assert.Throws<BadRequestException>(() => PoolSize.Of(setting, 100L << 30)).Message);
}
