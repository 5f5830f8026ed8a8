using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Linux;
using static Vessel.Storage.PoolLayout;

namespace Vessel.Storage;

/// <summary>A pool that is a plain directory: every volume is a subdirectory. Works on any filesystem.</summary>
/// <param name="poolsDirectory">Where pools made without a source go (POOLS/NAME); null when a source is required.</param>
public sealed class DirStorageDriver(string? poolsDirectory = null) : IStorageDriver
{
    public string Name => "dir";

    public Task<StoragePool> ValidatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken) =>
        Task.FromResult(Validate(pool, config));

    private static void RefuseSettings(IReadOnlyDictionary<string, string> config)
    {
        foreach (var key in config.Keys)
            throw new BadRequestException($"{key}: a dir pool has no settings; it uses the filesystem that holds its directory");
    }

    private StoragePool Validate(StoragePool pool, IReadOnlyDictionary<string, string> config)
    {
        RefuseSettings(config);
        if (pool.Source.Length == 0 && poolsDirectory is not null)
            pool = pool with { Source = Path.Combine(poolsDirectory, pool.Name) };
        if (!Path.IsPathFullyQualified(pool.Source))
            throw new BadRequestException($"source: \"{pool.Source}\" is not an absolute path");
        if (File.Exists(pool.Source))
            throw new BadRequestException($"source: \"{pool.Source}\" is a file, not a directory");
        if (Directory.Exists(pool.Source) && Directory.EnumerateFileSystemEntries(pool.Source).Any())
            throw new BadRequestException($"source: directory \"{pool.Source}\" is not empty; a dir pool needs an empty or new directory");
        return pool;
    }

    public Task UpdatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        RefuseSettings(config);
        return Task.CompletedTask;
    }

    public Task CreatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        Validate(pool, config);
        // Traversable by others, not listable: containers' mapped root users reach their own volumes through these.
        Directory.CreateDirectory(pool.Source).UnixFileMode = PassThrough;
        foreach (var kind in KindDirectories.Values)
            Directory.CreateDirectory(Path.Combine(pool.Source, kind)).UnixFileMode = PassThrough;
        return Task.CompletedTask;
    }

    public Task MountPoolAsync(StoragePool pool, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DeletePoolAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var left = ListVolumes(pool);
        if (left.Count > 0)
            throw new ConflictException($"storage pool \"{pool.Name}\" still holds volume(s) {string.Join(", ", left.Select(v => v.Name))}");
        if (!Directory.Exists(pool.Source))
            return Task.CompletedTask;
        foreach (var kind in KindDirectories.Values)
        {
            var path = Path.Combine(pool.Source, kind);
            if (Directory.Exists(path))
                Directory.Delete(path);
        }
        if (!Directory.EnumerateFileSystemEntries(pool.Source).Any())
            Directory.Delete(pool.Source);
        return Task.CompletedTask;
    }

    public Task<PoolUsage> GetUsageAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        // DriveInfo asks statfs about the filesystem that holds the path.
        var drive = new DriveInfo(pool.Source);
        return Task.FromResult(new PoolUsage(drive.TotalSize - drive.TotalFreeSpace, drive.TotalSize));
    }

    public Task<string> CreateVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken)
    {
        var path = VolumePath(pool, volume);
        if (Directory.Exists(path) || File.Exists(path))
            throw new ConflictException($"volume \"{volume.Name}\" already exists in storage pool \"{pool.Name}\"");
        // Pools made by older versions were owner-only: open the way again (not the listing) on every new volume.
        File.SetUnixFileMode(pool.Source, PassThrough);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!).UnixFileMode = PassThrough;
        Directory.CreateDirectory(path).UnixFileMode = PassThrough;
        return Task.FromResult(path);
    }

    public Task DeleteVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken)
    {
        var path = VolumePath(pool, volume);
        if (!Directory.Exists(path))
            return Task.CompletedTask;
        // A recursive delete through a mount would destroy what is mounted there (an image, a host path).
        var mounted = MountTable.MountPointsUnder(path);
        if (mounted.Count > 0)
            throw new ConflictException($"volume \"{volume.Name}\" still has mounts under it: {string.Join(", ", mounted)}");
        Directory.Delete(path, recursive: true);
        return Task.CompletedTask;
    }

    public string VolumePath(StoragePool pool, VolumeRef volume) => PoolLayout.VolumePath(pool.Source, volume);

    public ISubvolumes? Subvolumes(StoragePool pool) => null;

    public IReadOnlyList<VolumeRef> ListVolumes(StoragePool pool) => PoolLayout.ListVolumes(pool.Source);
}
