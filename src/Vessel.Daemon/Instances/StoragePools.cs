using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Validation;
using Vessel.Daemon.Networks;

namespace Vessel.Daemon.Instances;

/// <summary>Storage pools: the store's record plus the driver that holds the data.</summary>
public sealed class StoragePools(IStateStore store, IEnumerable<IStorageDriver> drivers, NetworkService networks)
{
    private readonly Dictionary<string, IStorageDriver> _drivers = drivers.ToDictionary(d => d.Name);

    public IStorageDriver Driver(StoragePool pool) =>
        _drivers.TryGetValue(pool.Driver, out var driver)
            ? driver
            : throw new NotSupportedYetException($"storage pool \"{pool.Name}\" uses driver \"{pool.Driver}\", which this vesseld does not have");

    public async Task<StoragePool> GetAsync(string name, CancellationToken cancellationToken) =>
        await store.GetPoolAsync(name, cancellationToken) ?? throw new NotFoundException($"storage pool \"{name}\" not found");

    public async Task<StoragePoolView> ViewAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var instances = (await store.ListInstancesAsync(cancellationToken)).Count(i => i.Pool == pool.Name);
        return new StoragePoolView(pool, await Driver(pool).GetUsageAsync(pool, cancellationToken), instances);
    }

    public async Task<StoragePool> CreateAsync(StoragePoolPost request, CancellationToken cancellationToken)
    {
        Names.ValidateLabel("name", request.Name);
        var driverName = request.Driver ?? "dir";
        if (!_drivers.TryGetValue(driverName, out var driver))
            throw new BadRequestException($"driver: \"{driverName}\" is not a storage driver (available: {string.Join(", ", _drivers.Keys)})");
        if (await store.GetPoolAsync(request.Name!, cancellationToken) is not null)
            throw new ConflictException($"storage pool \"{request.Name}\" already exists");
        var config = request.Config ?? [];
        var pool = await driver.ValidatePoolAsync(new StoragePool
        {
            Name = request.Name!,
            Driver = driverName,
            Source = request.Source ?? "",
            Description = request.Description ?? "",
            CreatedAt = DateTimeOffset.UtcNow,
        }, config, cancellationToken);
        var sources = (await store.ListPoolsAsync(cancellationToken)).Select(p => p.Source);
        if (sources.Any(s => Overlaps(s, pool.Source)))
            throw new BadRequestException($"source: \"{pool.Source}\" overlaps the source of another storage pool");

        await using var revert = new Reverter();
        await driver.CreatePoolAsync(pool, config, cancellationToken);
        revert.Add(() => driver.DeletePoolAsync(pool, CancellationToken.None));
        await store.CreatePoolAsync(pool, cancellationToken);
        revert.Success();
        return pool;
    }

    public async Task<StoragePool> UpdateAsync(string name, StoragePoolPatch patch, CancellationToken cancellationToken)
    {
        var pool = await GetAsync(name, cancellationToken);
        var config = patch.Config ?? [];
        foreach (var (key, value) in config.Where(c => string.IsNullOrEmpty(c.Value)))
            throw new BadRequestException($"{key}: needs a value (a pool setting cannot be unset)");
        await Driver(pool).UpdatePoolAsync(pool, config, cancellationToken);
        return pool;
    }

    /// <summary>
    /// Deletes the pool's storage, and its record only once that worked: a failure (an unmount, a loop device) leaves the
    /// pool listed, to delete again. Under the lock of instance writes, so that no instance comes into the pool meanwhile.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var writesLock = await networks.LockAsync(cancellationToken);
        var pool = await GetAsync(name, cancellationToken);
        var driver = Driver(pool);
        var left = driver.ListVolumes(pool);
        if (left.Count > 0)
            throw new ConflictException($"storage pool \"{name}\" still holds volume(s) {string.Join(", ", left.Select(v => v.Name))}");
        await store.CheckPoolUnusedAsync(pool.Name, cancellationToken);
        try
        {
            await driver.DeletePoolAsync(pool, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // What the delete unmounted before it failed is mounted again: nothing may write into a bare mount point.
            try
            {
                await driver.MountPoolAsync(pool, CancellationToken.None);
            }
            catch (Exception again) when (again is IOException or VesselException or UnauthorizedAccessException or TimeoutException)
            {
                throw new ConflictException($"storage pool \"{pool.Name}\" is kept, unmounted: deleting its storage failed ({e.Message}), " +
                    $"and so did mounting it again ({again.Message})");
            }
            throw new ConflictException($"storage pool \"{pool.Name}\" is kept: deleting its storage failed: {e.Message}");
        }
        await store.DeletePoolAsync(pool.Name, cancellationToken);
    }

    /// <summary>Runs work that writes into the pool; a full filesystem under it comes out as a 507 that names the pool.</summary>
    public async Task<T> WritingAsync<T>(StoragePool pool, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (StorageFullException.IsCause(e))
        {
            var usage = await Driver(pool).GetUsageAsync(pool, CancellationToken.None);
            throw new StorageFullException($"storage pool \"{pool.Name}\" is full ({Sizes.Format(usage.UsedBytes)} of {Sizes.Format(usage.TotalBytes)} used); " +
                $"nothing was changed: {e.Message}", e);
        }
    }

    public Task WritingAsync(StoragePool pool, Func<Task> work) => WritingAsync(pool, async () =>
    {
        await work();
        return true;
    });

    /// <summary>Mounts every pool's filesystem again (after a reboot); a pool that cannot be mounted is a warning, not a failed start.</summary>
    public async Task MountAllAsync(Action<StoragePool, Exception> failed, CancellationToken cancellationToken)
    {
        foreach (var pool in await store.ListPoolsAsync(cancellationToken))
        {
            try
            {
                await Driver(pool).MountPoolAsync(pool, cancellationToken);
            }
            catch (Exception e) when (e is IOException or VesselException or UnauthorizedAccessException or TimeoutException)
            {
                failed(pool, e);
            }
        }
    }

    /// <summary>Removes a deleted image's unpackings from the pools that keep them (btrfs).</summary>
    public async Task ForgetImageAsync(string fingerprint, CancellationToken cancellationToken)
    {
        foreach (var pool in await store.ListPoolsAsync(cancellationToken))
        {
            if (Subvolumes(pool) is { } subvolumes)
                await subvolumes.DeleteImageAsync(fingerprint, cancellationToken);
        }
    }

    /// <summary>The pool's O(1) snapshots for an engine, or null when its driver has none.</summary>
    public ISubvolumes? Subvolumes(StoragePool pool) => Driver(pool).Subvolumes(pool);

    private static bool Overlaps(string a, string b)
    {
        var x = Path.TrimEndingDirectorySeparator(a) + "/";
        var y = Path.TrimEndingDirectorySeparator(b) + "/";
        return x.StartsWith(y, StringComparison.Ordinal) || y.StartsWith(x, StringComparison.Ordinal);
    }
}
