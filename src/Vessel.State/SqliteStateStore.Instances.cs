using System.Collections.Frozen;
using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string InstanceColumns =
        "name, type, status, status_reason, architecture, config, devices, image, pool, ephemeral, created_at, status_changed_at";

    // Instances are read on every list request and changed rarely: reads are served from a snapshot that
    // every committed write drops. The generation stops a read that raced a write from installing stale rows.
    private readonly Lock _cacheLock = new();
    private long _generation;
    private InstanceSnapshot? _instances;

    private sealed record InstanceSnapshot(IReadOnlyList<Instance> List, FrozenDictionary<string, Instance> ByName);

    public Task<IReadOnlyList<Instance>> ListInstancesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Instances(cancellationToken).List);

    public Task<Instance?> GetInstanceAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Instances(cancellationToken).ByName.GetValueOrDefault(name));

    private InstanceSnapshot Instances(CancellationToken cancellationToken)
    {
        var snapshot = _instances;
        if (snapshot is not null)
            return snapshot;
        long generation;
        lock (_cacheLock)
            generation = _generation;
        var list = Read(c => Query(c, null, $"SELECT {InstanceColumns} FROM instances ORDER BY name", ReadInstance), cancellationToken);
        snapshot = new InstanceSnapshot(list, list.ToFrozenDictionary(i => i.Name, StringComparer.OrdinalIgnoreCase));
        lock (_cacheLock)
        {
            if (generation == _generation)
                _instances = snapshot;
        }
        return snapshot;
    }

    private void InvalidateInstances()
    {
        lock (_cacheLock)
        {
            _generation++;
            _instances = null;
        }
    }

    private static Instance ReadInstance(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        Type = InstanceTypes.Parse(r.GetString(1)),
        Status = Enum.Parse<InstanceStatus>(r.GetString(2)),
        StatusReason = NullableString(r, 3),
        Architecture = r.GetString(4),
        Config = FromJson(r.GetString(5), Encoding.DictionaryStringString),
        Devices = FromJson(r.GetString(6), Encoding.DictionaryStringDictionaryStringString)
            .ToDictionary(d => d.Key, d => (IReadOnlyDictionary<string, string>)d.Value),
        Image = NullableString(r, 7),
        Pool = r.GetString(8),
        Ephemeral = r.GetInt64(9) != 0,
        CreatedAt = Time(r, 10),
        StatusChangedAt = Time(r, 11),
    };

    public Task CreateInstanceAsync(Instance instance, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Scalar(c, t, "SELECT 1 FROM storage_pools WHERE name = $p", ("$p", instance.Pool)) is null)
                throw new NotFoundException($"storage pool \"{instance.Pool}\" not found");
            // Checked here so that a missing image is not reported as a taken name by the constraint handler below.
            if (instance.Image is { } image && Scalar(c, t, "SELECT 1 FROM images WHERE fingerprint = $f", ("$f", image)) is null)
                throw new NotFoundException($"image {image[..Math.Min(12, image.Length)]} not found");
            CheckNetworksExist(c, t, instance.Devices);
            CheckVolumesExist(c, t, instance.Devices);
            Execute(c, t, $"INSERT INTO instances ({InstanceColumns}) VALUES ($name, $type, $status, $reason, $arch, $config, $devices, $image, $pool, $eph, $created, $changed)",
                ("$name", instance.Name), ("$type", instance.Type.Name()), ("$status", instance.Status.ToString()),
                ("$reason", instance.StatusReason), ("$arch", instance.Architecture),
                ("$config", Json(ToDictionary(instance.Config), Encoding.DictionaryStringString)),
                ("$devices", Json(ToDictionary(instance.Devices), Encoding.DictionaryStringDictionaryStringString)),
                ("$image", instance.Image), ("$pool", instance.Pool), ("$eph", instance.Ephemeral ? 1 : 0),
                ("$created", Time(instance.CreatedAt)), ("$changed", Time(instance.StatusChangedAt)));
        }, cancellationToken, () => $"instance \"{instance.Name}\" already exists");

    public Task UpdateInstanceConfigAsync(string name, IReadOnlyDictionary<string, string> config,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            CheckNetworksExist(c, t, devices);
            CheckVolumesExist(c, t, devices);
            var changed = Execute(c, t, "UPDATE instances SET config = $config, devices = $devices WHERE name = $name",
                ("$name", name), ("$config", Json(ToDictionary(config), Encoding.DictionaryStringString)),
                ("$devices", Json(ToDictionary(devices), Encoding.DictionaryStringDictionaryStringString)));
            if (changed == 0)
                throw new NotFoundException($"instance \"{name}\" not found");
        }, cancellationToken);

    public Task<bool> TryTransitionAsync(string name, InstanceStatus from, InstanceStatus to, string? reason,
        CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t,
            "UPDATE instances SET status = $to, status_reason = $reason, status_changed_at = $now WHERE name = $name AND status = $from",
            ("$name", name), ("$from", from.ToString()), ("$to", to.ToString()), ("$reason", reason),
            ("$now", Time(DateTimeOffset.UtcNow))) == 1, cancellationToken);

    public Task SetStatusAsync(string name, InstanceStatus status, string? reason, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            var changed = Execute(c, t,
                "UPDATE instances SET status = $status, status_reason = $reason, status_changed_at = $now WHERE name = $name",
                ("$name", name), ("$status", status.ToString()), ("$reason", reason), ("$now", Time(DateTimeOffset.UtcNow)));
            if (changed == 0)
                throw new NotFoundException($"instance \"{name}\" not found");
        }, cancellationToken);

    public Task DeleteInstanceAsync(string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, "DELETE FROM instances WHERE name = $name", ("$name", name)) == 0)
                throw new NotFoundException($"instance \"{name}\" not found");
            Execute(c, t, "DELETE FROM snapshots WHERE instance = $name", ("$name", name));
        }, cancellationToken);

    private static Dictionary<string, string> ToDictionary(IReadOnlyDictionary<string, string> map) => new(map);

    private static Dictionary<string, Dictionary<string, string>> ToDictionary(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices) =>
        devices.ToDictionary(d => d.Key, d => new Dictionary<string, string>(d.Value));
}
