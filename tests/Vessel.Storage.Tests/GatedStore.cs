using Vessel.Core.Model;
using Vessel.Core.State;

namespace Vessel.Storage.Tests;

/// <summary>
/// A state store whose image look-ups wait for each other: the first to have looked waits until a second has looked
/// too (or a timeout passes), so that two imports of the same file both check for it before either stores it.
/// </summary>
internal sealed class GatedStore(IStateStore inner, TimeSpan wait) : IStateStore
{
    private readonly TaskCompletionSource _bothLooked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _lookups;

    public async Task<Image?> GetImageAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        var image = await inner.GetImageAsync(fingerprint, cancellationToken);
        if (Interlocked.Increment(ref _lookups) == 1)
            await Task.WhenAny(_bothLooked.Task, Task.Delay(wait, cancellationToken));
        else
            _bothLooked.TrySetResult();
        return image;
    }

    public Task<IReadOnlyList<Instance>> ListInstancesAsync(CancellationToken cancellationToken = default) => inner.ListInstancesAsync(cancellationToken);
    public Task<Instance?> GetInstanceAsync(string name, CancellationToken cancellationToken = default) => inner.GetInstanceAsync(name, cancellationToken);
    public Task CreateInstanceAsync(Instance instance, CancellationToken cancellationToken = default) => inner.CreateInstanceAsync(instance, cancellationToken);
    public Task UpdateInstanceConfigAsync(string name, IReadOnlyDictionary<string, string> config,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices, CancellationToken cancellationToken = default) =>
        inner.UpdateInstanceConfigAsync(name, config, devices, cancellationToken);
    public Task<bool> TryTransitionAsync(string name, InstanceStatus from, InstanceStatus to, string? reason, CancellationToken cancellationToken = default) =>
        inner.TryTransitionAsync(name, from, to, reason, cancellationToken);
    public Task SetStatusAsync(string name, InstanceStatus status, string? reason, CancellationToken cancellationToken = default) =>
        inner.SetStatusAsync(name, status, reason, cancellationToken);
    public Task DeleteInstanceAsync(string name, CancellationToken cancellationToken = default) => inner.DeleteInstanceAsync(name, cancellationToken);
    public Task<IReadOnlyList<Network>> ListNetworksAsync(CancellationToken cancellationToken = default) => inner.ListNetworksAsync(cancellationToken);
    public Task<Network?> GetNetworkAsync(string name, CancellationToken cancellationToken = default) => inner.GetNetworkAsync(name, cancellationToken);
    public Task CreateNetworkAsync(Network network, CancellationToken cancellationToken = default) => inner.CreateNetworkAsync(network, cancellationToken);
    public Task UpdateNetworkAsync(Network network, CancellationToken cancellationToken = default) => inner.UpdateNetworkAsync(network, cancellationToken);
    public Task DeleteNetworkAsync(string name, CancellationToken cancellationToken = default) => inner.DeleteNetworkAsync(name, cancellationToken);
    public Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(string instance, CancellationToken cancellationToken = default) => inner.ListSnapshotsAsync(instance, cancellationToken);
    public Task<IReadOnlyList<Snapshot>> ListExpiredSnapshotsAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => inner.ListExpiredSnapshotsAsync(now, cancellationToken);
    public Task CreateSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default) => inner.CreateSnapshotAsync(snapshot, cancellationToken);
    public Task DeleteSnapshotAsync(string instance, string name, CancellationToken cancellationToken = default) => inner.DeleteSnapshotAsync(instance, name, cancellationToken);
    public Task<IReadOnlyList<Image>> ListImagesAsync(CancellationToken cancellationToken = default) => inner.ListImagesAsync(cancellationToken);
    public Task CreateImageAsync(Image image, CancellationToken cancellationToken = default) => inner.CreateImageAsync(image, cancellationToken);
    public Task DeleteImageAsync(string fingerprint, CancellationToken cancellationToken = default) => inner.DeleteImageAsync(fingerprint, cancellationToken);
    public Task<IReadOnlyList<ImageAlias>> ListAliasesAsync(CancellationToken cancellationToken = default) => inner.ListAliasesAsync(cancellationToken);
    public Task SetAliasAsync(ImageAlias alias, bool replace = true, CancellationToken cancellationToken = default) =>
        inner.SetAliasAsync(alias, replace, cancellationToken);
    public Task DeleteAliasAsync(string name, InstanceType type, CancellationToken cancellationToken = default) =>
        inner.DeleteAliasAsync(name, type, cancellationToken);
    public Task<IReadOnlyList<StoragePool>> ListPoolsAsync(CancellationToken cancellationToken = default) => inner.ListPoolsAsync(cancellationToken);
    public Task<StoragePool?> GetPoolAsync(string name, CancellationToken cancellationToken = default) => inner.GetPoolAsync(name, cancellationToken);
    public Task CreatePoolAsync(StoragePool pool, CancellationToken cancellationToken = default) => inner.CreatePoolAsync(pool, cancellationToken);
    public Task CheckPoolUnusedAsync(string name, CancellationToken cancellationToken = default) => inner.CheckPoolUnusedAsync(name, cancellationToken);
    public Task DeletePoolAsync(string name, CancellationToken cancellationToken = default) => inner.DeletePoolAsync(name, cancellationToken);
    public Task<IReadOnlyList<StorageVolume>> ListVolumesAsync(string pool, CancellationToken cancellationToken = default) => inner.ListVolumesAsync(pool, cancellationToken);
    public Task<StorageVolume?> GetVolumeAsync(string pool, string name, CancellationToken cancellationToken = default) => inner.GetVolumeAsync(pool, name, cancellationToken);
    public Task CreateVolumeAsync(StorageVolume volume, CancellationToken cancellationToken = default) => inner.CreateVolumeAsync(volume, cancellationToken);
    public Task UpdateVolumeAsync(StorageVolume volume, CancellationToken cancellationToken = default) => inner.UpdateVolumeAsync(volume, cancellationToken);
    public Task DeleteVolumeAsync(string pool, string name, CancellationToken cancellationToken = default) => inner.DeleteVolumeAsync(pool, name, cancellationToken);
    public Task CreateOperationAsync(Operation operation, CancellationToken cancellationToken = default) => inner.CreateOperationAsync(operation, cancellationToken);
    public Task UpdateOperationAsync(Operation operation, CancellationToken cancellationToken = default) => inner.UpdateOperationAsync(operation, cancellationToken);
    public Task<Operation?> GetOperationAsync(string id, CancellationToken cancellationToken = default) => inner.GetOperationAsync(id, cancellationToken);
    public Task<IReadOnlyList<Operation>> ListOperationsAsync(CancellationToken cancellationToken = default) => inner.ListOperationsAsync(cancellationToken);
    public Task<IReadOnlyList<Operation>> FailUnfinishedOperationsAsync(string reason, CancellationToken cancellationToken = default) =>
        inner.FailUnfinishedOperationsAsync(reason, cancellationToken);
    public Task PruneOperationsAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) => inner.PruneOperationsAsync(cutoff, cancellationToken);
    public Task<string?> GetSettingAsync(string key, CancellationToken cancellationToken = default) => inner.GetSettingAsync(key, cancellationToken);
    public Task SetSettingAsync(string key, string value, CancellationToken cancellationToken = default) => inner.SetSettingAsync(key, value, cancellationToken);
    public Task DeleteSettingAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteSettingAsync(key, cancellationToken);
    public Task<IReadOnlyList<AuthToken>> ListTokensAsync(CancellationToken cancellationToken = default) => inner.ListTokensAsync(cancellationToken);
    public Task<AuthToken?> FindTokenAsync(string hash, CancellationToken cancellationToken = default) => inner.FindTokenAsync(hash, cancellationToken);
    public Task CreateTokenAsync(AuthToken token, CancellationToken cancellationToken = default) => inner.CreateTokenAsync(token, cancellationToken);
    public Task DeleteTokenAsync(string id, CancellationToken cancellationToken = default) => inner.DeleteTokenAsync(id, cancellationToken);
    public Task CreateSessionAsync(AuthSession session, CancellationToken cancellationToken = default) => inner.CreateSessionAsync(session, cancellationToken);
    public Task<(AuthSession Session, AuthToken Token)?> FindSessionAsync(string hash, CancellationToken cancellationToken = default) =>
        inner.FindSessionAsync(hash, cancellationToken);
    public Task TouchSessionAsync(string hash, DateTimeOffset seenAt, CancellationToken cancellationToken = default) =>
        inner.TouchSessionAsync(hash, seenAt, cancellationToken);
    public Task PruneSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => inner.PruneSessionsAsync(now, cancellationToken);
    public Task DeleteSessionAsync(string hash, CancellationToken cancellationToken = default) => inner.DeleteSessionAsync(hash, cancellationToken);
    public Task<IReadOnlyList<TrustedCertificate>> ListCertificatesAsync(CancellationToken cancellationToken = default) => inner.ListCertificatesAsync(cancellationToken);
    public Task<TrustedCertificate?> GetCertificateAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        inner.GetCertificateAsync(fingerprint, cancellationToken);
    public Task AddCertificateAsync(TrustedCertificate certificate, CancellationToken cancellationToken = default) =>
        inner.AddCertificateAsync(certificate, cancellationToken);
    public Task DeleteCertificateAsync(string fingerprint, CancellationToken cancellationToken = default) =>
        inner.DeleteCertificateAsync(fingerprint, cancellationToken);

    public void Dispose()
    {
    }
}
