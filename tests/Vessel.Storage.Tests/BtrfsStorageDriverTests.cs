using Vessel.Core;
using Vessel.Core.Model;
using Vessel.Linux;

namespace Vessel.Storage.Tests;

/// <summary>The btrfs pool on a real loop file (needs root and btrfs-progs): made, used, and gone without a trace.</summary>
public sealed class BtrfsStorageDriverTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly BtrfsStorageDriver _driver;
    private static readonly Dictionary<string, string> Small = new() { ["size"] = "256MiB" };

    public BtrfsStorageDriverTests() => _driver = new BtrfsStorageDriver(_temp.Combine("pools"), _temp.Combine("disks"));

    public void Dispose()
    {
        // Whatever a failed test left mounted goes before the directory does.
        foreach (var mount in MountTable.MountPointsUnder(_temp.Path).OrderByDescending(m => m.Length))
            HostCommand.RunAsync("umount", [mount]).GetAwaiter().GetResult();
        _temp.Dispose();
    }

    private async Task<StoragePool> LoopPoolAsync(string name = "bp")
    {
        var pool = await _driver.ValidatePoolAsync(new StoragePool { Name = name, Driver = "btrfs", Source = "" }, Small, CancellationToken.None);
        await _driver.CreatePoolAsync(pool, Small, CancellationToken.None);
        return pool;
    }

    private static async Task<string> LoopDevicesOfAsync(string file) =>
        (await HostCommand.RunAsync("losetup", ["--noheadings", "--associated", file])).Output.Trim();

    [Fact]
    public async Task LoopPool_IsMountedWithItsSize_HoldsSubvolumes_AndLeavesNothingWhenDeleted()
    {
        var pool = await LoopPoolAsync();
        var mountPoint = _temp.Combine("pools", "bp");

        Assert.Equal(_temp.Combine("disks", "bp.img"), pool.Source);
        Assert.True(MountTable.IsMountPoint(mountPoint));
        Assert.Equal("btrfs", MountTable.FileSystemTypeOf(mountPoint));
        var usage = await _driver.GetUsageAsync(pool, CancellationToken.None);
        Assert.Equal(256L << 20, usage.TotalBytes);
        Assert.InRange(usage.UsedBytes, 1, 64L << 20);

        var volume = new VolumeRef(VolumeKind.Container, "c1");
        var path = await _driver.CreateVolumeAsync(pool, volume, CancellationToken.None);
        var subvolumes = _driver.Subvolumes(pool)!;
        await subvolumes.CreateAsync(Path.Combine(path, "rootfs"), CancellationToken.None);
        File.WriteAllText(Path.Combine(path, "rootfs", "data"), "one");
        Directory.CreateDirectory(Path.Combine(path, "snapshots"));
        await subvolumes.SnapshotAsync(Path.Combine(path, "rootfs"), Path.Combine(path, "snapshots", "s1"), readOnly: true, CancellationToken.None);
        await subvolumes.CreateAsync(Path.Combine(path, "rootfs", "nested"), CancellationToken.None);
        File.WriteAllText(Path.Combine(path, "rootfs", "data"), "two");

        Assert.Equal("one", File.ReadAllText(Path.Combine(path, "snapshots", "s1", "data")));
        Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(path, "snapshots", "s1", "data"), "x")); // read-only
        Assert.Equal([volume], _driver.ListVolumes(pool));
        await Assert.ThrowsAsync<ConflictException>(() => _driver.DeletePoolAsync(pool, CancellationToken.None));

        await _driver.DeleteVolumeAsync(pool, volume, CancellationToken.None); // with its nested and read-only subvolumes
        Assert.False(Directory.Exists(path));
        await _driver.DeletePoolAsync(pool, CancellationToken.None);

        Assert.False(MountTable.IsMountPoint(mountPoint));
        Assert.False(Directory.Exists(mountPoint));
        Assert.False(File.Exists(pool.Source));
        Assert.Equal("", await LoopDevicesOfAsync(pool.Source));
    }

    [Fact]
    public async Task MountPool_AfterAnUnmount_MountsItAgain_AndAVmVolumeSkipsCopyOnWrite()
    {
        var pool = await LoopPoolAsync();
        var mountPoint = _temp.Combine("pools", "bp");
        var vm = await _driver.CreateVolumeAsync(pool, new VolumeRef(VolumeKind.VirtualMachine, "v1"), CancellationToken.None);
        Assert.Contains("C", (await HostCommand.RunAsync("lsattr", ["-d", vm])).Output.Split(' ')[0], StringComparison.Ordinal);
        await HostCommand.RunCheckedAsync("umount", [mountPoint]); // as a reboot would

        await _driver.MountPoolAsync(pool, CancellationToken.None);
        await _driver.MountPoolAsync(pool, CancellationToken.None); // mounted already: nothing to do

        Assert.True(MountTable.IsMountPoint(mountPoint));
        Assert.Equal([new VolumeRef(VolumeKind.VirtualMachine, "v1")], _driver.ListVolumes(pool));
        await _driver.DeleteVolumeAsync(pool, new VolumeRef(VolumeKind.VirtualMachine, "v1"), CancellationToken.None);
        await _driver.DeletePoolAsync(pool, CancellationToken.None);
        Assert.False(File.Exists(pool.Source));
    }

    [Fact]
    public async Task DirectoryOnBtrfs_IsAPool_AndItsSubvolumeGoesWithIt()
    {
        var outer = await LoopPoolAsync("outer");
        var directory = Path.Combine(_temp.Combine("pools", "outer"), "custom", "inner");
        var pool = await _driver.ValidatePoolAsync(new StoragePool { Name = "inner", Driver = "btrfs", Source = directory }, new Dictionary<string, string>(),
            CancellationToken.None);

        await _driver.CreatePoolAsync(pool, new Dictionary<string, string>(), CancellationToken.None);
        var volume = await _driver.CreateVolumeAsync(pool, new VolumeRef(VolumeKind.Custom, "data"), CancellationToken.None);

        Assert.Equal(Path.Combine(directory, "custom", "data"), volume);
        await _driver.DeleteVolumeAsync(pool, new VolumeRef(VolumeKind.Custom, "data"), CancellationToken.None);
        await _driver.DeletePoolAsync(pool, CancellationToken.None);
        Assert.False(Directory.Exists(directory));
        await _driver.DeletePoolAsync(outer, CancellationToken.None);
    }

    [Fact]
    public async Task BlockDevice_IsFormattedWhenEmpty_RefusedWhenItHoldsAFilesystem_UnlessWiped()
    {
        var file = _temp.Combine("disk.img");
        File.Create(file).Dispose();
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await HostCommand.RunCheckedAsync("truncate", ["-s", "300M", file]);
        var device = (await HostCommand.RunCheckedAsync("losetup", ["--find", "--show", file])).Trim();
        try
        {
            var empty = new Dictionary<string, string>();
            var pool = await _driver.ValidatePoolAsync(new StoragePool { Name = "dev", Driver = "btrfs", Source = device }, empty, CancellationToken.None);
            await _driver.CreatePoolAsync(pool, empty, CancellationToken.None);
            Assert.True(MountTable.IsMountPoint(_temp.Combine("pools", "dev")));
            await _driver.DeletePoolAsync(pool, CancellationToken.None);
            Assert.False(MountTable.IsMountPoint(_temp.Combine("pools", "dev")));

            // Now it holds the btrfs filesystem made above: formatting it again takes source.wipe=true.
            var e = await Assert.ThrowsAsync<BadRequestException>(() => _driver.ValidatePoolAsync(pool, empty, CancellationToken.None));
            Assert.Equal($"source: {device} holds a btrfs filesystem; Vessel formats only empty devices (set source.wipe=true to erase it)", e.Message);
            var wipe = new Dictionary<string, string> { ["source.wipe"] = "true" };
            await _driver.ValidatePoolAsync(pool, wipe, CancellationToken.None);
            await _driver.CreatePoolAsync(pool, wipe, CancellationToken.None);
            await _driver.DeletePoolAsync(pool, CancellationToken.None);
        }
        finally
        {
            await HostCommand.RunAsync("losetup", ["--detach", device]);
        }
    }

    [Theory]
    [InlineData("", "size", "1MiB", "size: 1MiB is out of range")]
    [InlineData("", "compression", "zstd", "compression: unknown btrfs pool setting")]
    [InlineData("/dev/vessel-no-such-disk", null, null, "source: \"/dev/vessel-no-such-disk\" does not exist")]
    [InlineData("/dev/null", null, null, "is a character special file, not a block device")]
    [InlineData("/etc/hostname", null, null, "is a file; give a block device")]
    [InlineData("relative/dir", null, null, "is not an absolute path")]
    [InlineData("/tmp/x", "size", "1GiB", "size: only a loop-file pool (no source) has a size")]
    public async Task BadInput_IsRefusedBeforeAnythingIsMade(string source, string? key, string? value, string message)
    {
        var config = key is null ? new Dictionary<string, string>() : new() { [key] = value! };

        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            _driver.ValidatePoolAsync(new StoragePool { Name = "bad", Driver = "btrfs", Source = source }, config, CancellationToken.None));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("pools")));
        Assert.Empty(Directory.Exists(_temp.Combine("disks")) ? Directory.EnumerateFileSystemEntries(_temp.Combine("disks")) : []);
    }

    [Fact]
    public async Task DirectoryNotOnBtrfs_IsRefused()
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() =>
            _driver.ValidatePoolAsync(new StoragePool { Name = "bad", Driver = "btrfs", Source = _temp.Combine("plain") }, new Dictionary<string, string>(),
                CancellationToken.None));

        Assert.Matches("^source: \".*/plain\" is on a [a-z0-9]+ filesystem, not btrfs", e.Message);
    }
}
