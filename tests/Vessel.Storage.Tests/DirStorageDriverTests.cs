using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.Storage.Tests;

public sealed class DirStorageDriverTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly DirStorageDriver _driver = new();

    private static readonly Dictionary<string, string> NoConfig = [];

    public void Dispose() => _temp.Dispose();

    private StoragePool Pool(string? source = null) =>
        new() { Name = "default", Driver = "dir", Source = source ?? _temp.Combine("pool") };

    private async Task<StoragePool> CreatedPoolAsync()
    {
        var pool = Pool();
        await _driver.CreatePoolAsync(pool, NoConfig, CancellationToken.None);
        return pool;
    }

    [Fact]
    public void Name_IsDir() => Assert.Equal("dir", _driver.Name);

    [Fact]
    public async Task CreatePool_InANewDirectory_MakesItTraversableNotListable_WithAFolderPerVolumeKind()
    {
        var pool = Pool(_temp.Combine("new", "pool"));

        await _driver.CreatePoolAsync(pool, NoConfig, CancellationToken.None);

        Assert.Equal(["containers", "custom", "virtual-machines"],
            Directory.EnumerateFileSystemEntries(pool.Source).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // 0711: others may pass through (a container's mapped root reaches its volume) but not list.
        var passThrough = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Assert.Equal(passThrough, File.GetUnixFileMode(pool.Source));
        Assert.All(Directory.EnumerateDirectories(pool.Source), d => Assert.Equal(passThrough, File.GetUnixFileMode(d)));
    }

    [Fact]
    public async Task CreatePool_InAnEmptyDirectory_Works()
    {
        var pool = Pool();
        Directory.CreateDirectory(pool.Source);

        await _driver.CreatePoolAsync(pool, NoConfig, CancellationToken.None);

        Assert.True(Directory.Exists(Path.Combine(pool.Source, "containers")));
    }

    [Fact]
    public async Task CreatePool_InANonEmptyDirectory_IsRefusedAndTouchesNothing()
    {
        var pool = Pool();
        Directory.CreateDirectory(pool.Source);
        File.WriteAllText(Path.Combine(pool.Source, "precious"), "data");

        var e = await Assert.ThrowsAsync<BadRequestException>(() => _driver.CreatePoolAsync(pool, NoConfig, CancellationToken.None));

        Assert.Equal($"source: directory \"{pool.Source}\" is not empty; a dir pool needs an empty or new directory", e.Message);
        Assert.Equal(["precious"], Directory.EnumerateFileSystemEntries(pool.Source).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("pool")]
    [InlineData("./pool")]
    [InlineData("../pool")]
    [InlineData("")]
    public async Task CreatePool_RelativePath_IsRefused(string source)
    {
        var e = await Assert.ThrowsAsync<BadRequestException>(() => _driver.CreatePoolAsync(Pool(source), NoConfig, CancellationToken.None));

        Assert.Equal($"source: \"{source}\" is not an absolute path", e.Message);
    }

    [Fact]
    public async Task CreatePool_OnAFile_IsRefused()
    {
        var path = _temp.Combine("file");
        File.WriteAllText(path, "");

        var e = await Assert.ThrowsAsync<BadRequestException>(() => _driver.CreatePoolAsync(Pool(path), NoConfig, CancellationToken.None));

        Assert.Contains("is a file, not a directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateVolume_MakesAnEmptyDirectoryUnderItsKind()
    {
        var pool = await CreatedPoolAsync();

        var path = await _driver.CreateVolumeAsync(pool, new VolumeRef(VolumeKind.VirtualMachine, "vm1"), CancellationToken.None);

        Assert.Equal(Path.Combine(pool.Source, "virtual-machines", "vm1"), path);
        Assert.Equal(path, _driver.VolumePath(pool, new VolumeRef(VolumeKind.VirtualMachine, "vm1")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(path));
    }

    [Fact]
    public async Task ListVolumes_ShowsEveryKind()
    {
        var pool = await CreatedPoolAsync();
        VolumeRef[] volumes =
        [
            new(VolumeKind.Container, "c1"), new(VolumeKind.Container, "c2"),
            new(VolumeKind.VirtualMachine, "vm1"), new(VolumeKind.Custom, "data"),
        ];
        foreach (var volume in volumes)
            await _driver.CreateVolumeAsync(pool, volume, CancellationToken.None);

        var listed = _driver.ListVolumes(pool);

        Assert.Equal(volumes.OrderBy(v => v.Kind).ThenBy(v => v.Name, StringComparer.Ordinal),
            listed.OrderBy(v => v.Kind).ThenBy(v => v.Name, StringComparer.Ordinal));
    }

    [Fact]
    public void ListVolumes_OfAMissingPool_IsEmpty() => Assert.Empty(_driver.ListVolumes(Pool(_temp.Combine("missing"))));

    [Fact]
    public async Task CreateVolume_Twice_IsConflict()
    {
        var pool = await CreatedPoolAsync();
        var volume = new VolumeRef(VolumeKind.Container, "c1");
        var path = await _driver.CreateVolumeAsync(pool, volume, CancellationToken.None);
        File.WriteAllText(Path.Combine(path, "keep"), "x");

        var e = await Assert.ThrowsAsync<ConflictException>(() => _driver.CreateVolumeAsync(pool, volume, CancellationToken.None));

        Assert.Equal("volume \"c1\" already exists in storage pool \"default\"", e.Message);
        Assert.True(File.Exists(Path.Combine(path, "keep")));
    }

    [Fact]
    public async Task CreateVolume_SameNameOfAnotherKind_Works()
    {
        var pool = await CreatedPoolAsync();
        await _driver.CreateVolumeAsync(pool, new VolumeRef(VolumeKind.Container, "x"), CancellationToken.None);

        await _driver.CreateVolumeAsync(pool, new VolumeRef(VolumeKind.Custom, "x"), CancellationToken.None);

        Assert.Equal(2, _driver.ListVolumes(pool).Count);
    }

    [Fact]
    public async Task DeleteVolume_RemovesItWithEverythingInIt()
    {
        var pool = await CreatedPoolAsync();
        var volume = new VolumeRef(VolumeKind.Container, "c1");
        var path = await _driver.CreateVolumeAsync(pool, volume, CancellationToken.None);
        Directory.CreateDirectory(Path.Combine(path, "rootfs", "etc"));
        File.WriteAllText(Path.Combine(path, "rootfs", "etc", "hostname"), "c1");

        await _driver.DeleteVolumeAsync(pool, volume, CancellationToken.None);

        Assert.False(Directory.Exists(path));
        Assert.Empty(_driver.ListVolumes(pool));
    }

    [Fact]
    public async Task DeleteVolume_Missing_DoesNothing()
    {
        var pool = await CreatedPoolAsync();

        await _driver.DeleteVolumeAsync(pool, new VolumeRef(VolumeKind.Custom, "nope"), CancellationToken.None);

        Assert.Empty(_driver.ListVolumes(pool));
    }

    [Fact]
    public async Task DeletePool_WithVolumesLeft_IsConflictNamingThem()
    {
        var pool = await CreatedPoolAsync();
        await _driver.CreateVolumeAsync(pool, new VolumeRef(VolumeKind.Container, "c1"), CancellationToken.None);

        var e = await Assert.ThrowsAsync<ConflictException>(() => _driver.DeletePoolAsync(pool, CancellationToken.None));

        Assert.Equal("storage pool \"default\" still holds volume(s) c1", e.Message);
        Assert.True(Directory.Exists(Path.Combine(pool.Source, "containers", "c1")));
    }

    [Fact]
    public async Task DeletePool_Empty_RemovesTheDirectory()
    {
        var pool = await CreatedPoolAsync();
        var volume = new VolumeRef(VolumeKind.Custom, "d");
        await _driver.CreateVolumeAsync(pool, volume, CancellationToken.None);
        await _driver.DeleteVolumeAsync(pool, volume, CancellationToken.None);

        await _driver.DeletePoolAsync(pool, CancellationToken.None);

        Assert.False(Directory.Exists(pool.Source));
    }

    [Fact]
    public async Task DeletePool_KeepsTheDirectoryWhenSomethingElseLivesThere()
    {
        var pool = await CreatedPoolAsync();
        File.WriteAllText(Path.Combine(pool.Source, "README"), "not ours");

        await _driver.DeletePoolAsync(pool, CancellationToken.None);

        Assert.Equal(["README"], Directory.EnumerateFileSystemEntries(pool.Source).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DeletePool_AlreadyGone_Works() => await _driver.DeletePoolAsync(Pool(_temp.Combine("gone")), CancellationToken.None);

    [Fact]
    public async Task GetUsage_ReportsTheFilesystem()
    {
        var usage = await _driver.GetUsageAsync(await CreatedPoolAsync(), CancellationToken.None);

        Assert.True(usage.TotalBytes > 0);
        Assert.InRange(usage.UsedBytes, 0, usage.TotalBytes);
    }
}
