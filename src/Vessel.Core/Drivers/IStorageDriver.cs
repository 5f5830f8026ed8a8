using Vessel.Core.Model;

namespace Vessel.Core.Drivers;

/// <summary>A kind of storage pool (dir, btrfs; LVM-thin later): pools hold instance root volumes and custom volumes.</summary>
public interface IStorageDriver
{
    string Name { get; }

    // Pools
    /// <summary>
    /// Checks a new pool's source and settings (such as <c>size</c>) and returns the pool as it will be made, with what the
    /// request left out filled in (a default source). Throws <see cref="BadRequestException"/> before anything is made.
    /// </summary>
    Task<StoragePool> ValidatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken);
    /// <summary>Makes a pool that <see cref="ValidatePoolAsync"/> accepted; a failure leaves nothing behind.</summary>
    Task CreatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken);
    /// <summary>Changes a pool's settings (a loop-file pool's <c>size</c>); each is checked before anything changes.</summary>
    Task UpdatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken);
    /// <summary>Makes an existing pool's data reachable again (mounts its filesystem); asked when the daemon starts.</summary>
    Task MountPoolAsync(StoragePool pool, CancellationToken cancellationToken);
    /// <summary>Removes the pool's data; the caller has checked that no volume is left in it.</summary>
    Task DeletePoolAsync(StoragePool pool, CancellationToken cancellationToken);
    /// <summary>What the pool's filesystem holds and can hold (all of it, for a pool that shares its filesystem).</summary>
    Task<PoolUsage> GetUsageAsync(StoragePool pool, CancellationToken cancellationToken);

    // Volumes
    /// <summary>Creates an empty volume and returns its path on the host. Fails when it exists.</summary>
    Task<string> CreateVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken);
    /// <summary>Removes the volume with everything in it (nested subvolumes too); nothing when it does not exist.</summary>
    Task DeleteVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken);
    string VolumePath(StoragePool pool, VolumeRef volume);
    IReadOnlyList<VolumeRef> ListVolumes(StoragePool pool);

    // Copy-on-write
    /// <summary>The pool's O(1) snapshots of directory trees (btrfs subvolumes), or null when it has none (dir).</summary>
    ISubvolumes? Subvolumes(StoragePool pool);
}
