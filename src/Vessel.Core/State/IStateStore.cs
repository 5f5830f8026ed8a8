using Vessel.Core.Model;

namespace Vessel.Core.State;

/// <summary>
/// The daemon's single source of truth. Every method is one transaction. SQLite backs it on a single host;
/// a cluster can put it on a shared store later without the engines noticing.
/// </summary>
public interface IStateStore : IDisposable
{
    // Instances
    Task<IReadOnlyList<Instance>> ListInstancesAsync(CancellationToken cancellationToken = default);
    Task<Instance?> GetInstanceAsync(string name, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the name is taken.</summary>
    Task CreateInstanceAsync(Instance instance, CancellationToken cancellationToken = default);
    /// <summary>Replaces config and devices. Throws NotFoundException when the instance is gone.</summary>
    Task UpdateInstanceConfigAsync(string name, IReadOnlyDictionary<string, string> config,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices, CancellationToken cancellationToken = default);
    /// <summary>Moves the instance from one status to another; false when its status was not <paramref name="from"/>.</summary>
    Task<bool> TryTransitionAsync(string name, InstanceStatus from, InstanceStatus to, string? reason, CancellationToken cancellationToken = default);
    Task SetStatusAsync(string name, InstanceStatus status, string? reason, CancellationToken cancellationToken = default);
    Task DeleteInstanceAsync(string name, CancellationToken cancellationToken = default);

    // Images and aliases
    Task<IReadOnlyList<Image>> ListImagesAsync(CancellationToken cancellationToken = default);
    Task<Image?> GetImageAsync(string fingerprint, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the fingerprint is already stored.</summary>
    Task CreateImageAsync(Image image, CancellationToken cancellationToken = default);
    /// <summary>Deletes the image and its aliases; throws ConflictException while an instance uses it.</summary>
    Task DeleteImageAsync(string fingerprint, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<ImageAlias>> ListAliasesAsync(CancellationToken cancellationToken = default);
    /// <summary>Points the alias for the image's type at the image, replacing an earlier target.</summary>
    /// <summary>Points the alias at its image; one that names another image already moves when REPLACE, else <see cref="ImageAlias.Taken"/>.</summary>
    Task SetAliasAsync(ImageAlias alias, bool replace = true, CancellationToken cancellationToken = default);
    Task DeleteAliasAsync(string name, InstanceType type, CancellationToken cancellationToken = default);

    // Storage pools
    Task<IReadOnlyList<StoragePool>> ListPoolsAsync(CancellationToken cancellationToken = default);
    Task<StoragePool?> GetPoolAsync(string name, CancellationToken cancellationToken = default);
    Task CreatePoolAsync(StoragePool pool, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException while an instance or a custom volume lives in the pool.</summary>
    Task CheckPoolUnusedAsync(string name, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException while an instance or a custom volume lives in the pool.</summary>
    Task DeletePoolAsync(string name, CancellationToken cancellationToken = default);

    // Custom storage volumes (which instances use one is read from their devices)
    Task<IReadOnlyList<StorageVolume>> ListVolumesAsync(string pool, CancellationToken cancellationToken = default);
    Task<StorageVolume?> GetVolumeAsync(string pool, string name, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the pool has a volume of that name.</summary>
    Task CreateVolumeAsync(StorageVolume volume, CancellationToken cancellationToken = default);
    /// <summary>Replaces config and description.</summary>
    Task UpdateVolumeAsync(StorageVolume volume, CancellationToken cancellationToken = default);
    Task DeleteVolumeAsync(string pool, string name, CancellationToken cancellationToken = default);

    // Networks
    Task<IReadOnlyList<Network>> ListNetworksAsync(CancellationToken cancellationToken = default);
    Task<Network?> GetNetworkAsync(string name, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the name is taken.</summary>
    Task CreateNetworkAsync(Network network, CancellationToken cancellationToken = default);
    /// <summary>Replaces description, config and forwards. Throws NotFoundException when the network is gone.</summary>
    Task UpdateNetworkAsync(Network network, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException while an instance has a nic on the network.</summary>
    Task DeleteNetworkAsync(string name, CancellationToken cancellationToken = default);

    // Snapshots (deleted with their instance)
    Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(string instance, CancellationToken cancellationToken = default);
    /// <summary>Every instance's snapshots whose expiry is at or before the time, the oldest expiry first.</summary>
    Task<IReadOnlyList<Snapshot>> ListExpiredSnapshotsAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the instance has a snapshot of that name, NotFoundException when the instance is gone.</summary>
    Task CreateSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default);
    Task DeleteSnapshotAsync(string instance, string name, CancellationToken cancellationToken = default);

    // Daemon settings (small facts the daemon keeps between runs, such as the boot id it last ran under)
    Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken = default);
    Task SetSettingAsync(string key, string value, CancellationToken cancellationToken = default);
    Task DeleteSettingAsync(string key, CancellationToken cancellationToken = default);

    // Who may use the API over TCP: tokens (only their hashes are kept) and trusted client certificates
    Task<IReadOnlyList<AuthToken>> ListTokensAsync(CancellationToken cancellationToken = default);
    Task<AuthToken?> FindTokenAsync(string hash, CancellationToken cancellationToken = default);
    Task CreateTokenAsync(AuthToken token, CancellationToken cancellationToken = default);
    /// <summary>Throws NotFoundException when there is no token with that id.</summary>
    Task DeleteTokenAsync(string id, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the session's token no longer exists.</summary>
    Task CreateSessionAsync(AuthSession session, CancellationToken cancellationToken = default);
    /// <summary>The session with that hash and the token it logged in with, or null when there is none.</summary>
    Task<(AuthSession Session, AuthToken Token)?> FindSessionAsync(string hash, CancellationToken cancellationToken = default);
    Task TouchSessionAsync(string hash, DateTimeOffset seenAt, CancellationToken cancellationToken = default);
    /// <summary>Deletes the sessions that have ended by now (<see cref="AuthSession.HasEnded"/>).</summary>
    Task PruneSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
    /// <summary>Does nothing when there is no session with that hash.</summary>
    Task DeleteSessionAsync(string hash, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<TrustedCertificate>> ListCertificatesAsync(CancellationToken cancellationToken = default);
    Task<TrustedCertificate?> GetCertificateAsync(string fingerprint, CancellationToken cancellationToken = default);
    /// <summary>Throws ConflictException when the certificate is already trusted.</summary>
    Task AddCertificateAsync(TrustedCertificate certificate, CancellationToken cancellationToken = default);
    /// <summary>Throws NotFoundException when no trusted certificate has that fingerprint.</summary>
    Task DeleteCertificateAsync(string fingerprint, CancellationToken cancellationToken = default);

    // Operations
    Task CreateOperationAsync(Operation operation, CancellationToken cancellationToken = default);
    Task UpdateOperationAsync(Operation operation, CancellationToken cancellationToken = default);
    Task<Operation?> GetOperationAsync(string id, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Operation>> ListOperationsAsync(CancellationToken cancellationToken = default);
    /// <summary>Marks every operation that was not final as failed with the reason; returns them.</summary>
    Task<IReadOnlyList<Operation>> FailUnfinishedOperationsAsync(string reason, CancellationToken cancellationToken = default);
    /// <summary>Forgets final operations older than the cutoff.</summary>
    Task PruneOperationsAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}
