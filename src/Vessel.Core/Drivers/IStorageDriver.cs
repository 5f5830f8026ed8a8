using Vessel.Core.Model;

namespace Vessel.Core.Drivers;

/// <summary>A kind of storage pool (dir now; btrfs and LVM-thin later): pools hold instance root volumes and custom volumes.</summary>
public interface IStorageDriver
{
    string Name { get; }

    Task CreatePoolAsync(StoragePool pool, CancellationToken cancellationToken);
    /// <summary>Removes the pool's data; the caller has checked that no volume is left in it.</summary>
    Task DeletePoolAsync(StoragePool pool, CancellationToken cancellationToken);
    PoolUsage GetUsage(StoragePool pool);

    /// <summary>Creates an empty volume and returns its path on the host. Fails when it exists.</summary>
    Task<string> CreateVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken);
    Task DeleteVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken);
    string VolumePath(StoragePool pool, VolumeRef volume);
    IReadOnlyList<VolumeRef> ListVolumes(StoragePool pool);
}
