using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string SnapshotColumns = "instance, name, stateful, description, created_at, expires_at, state_devices";

    public Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(string instance, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Snapshot>>(c => Query(c, null, $"SELECT {SnapshotColumns} FROM snapshots WHERE instance = $i ORDER BY created_at, name",
            ReadSnapshot, ("$i", instance)), cancellationToken);

    private static Snapshot ReadSnapshot(SqliteDataReader r) => new()
    {
        Instance = r.GetString(0),
        Name = r.GetString(1),
        Stateful = r.GetInt64(2) != 0,
        Description = r.GetString(3),
        CreatedAt = Time(r, 4),
        ExpiresAt = r.IsDBNull(5) ? null : Time(r, 5),
        StateDevices = r.IsDBNull(6) ? null : r.GetString(6).Split('\n'),
    };

    public Task<IReadOnlyList<Snapshot>> ListExpiredSnapshotsAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Snapshot>>(c => Query(c, null,
            $"SELECT {SnapshotColumns} FROM snapshots WHERE expires_at IS NOT NULL AND expires_at <= $now ORDER BY expires_at, instance, name",
            ReadSnapshot, ("$now", Time(now))), cancellationToken);

    public Task CreateSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Scalar(c, t, "SELECT 1 FROM instances WHERE name = $i", ("$i", snapshot.Instance)) is null)
                throw new NotFoundException($"instance \"{snapshot.Instance}\" not found");
            Execute(c, t, $"INSERT INTO snapshots ({SnapshotColumns}) VALUES ($i, $n, $s, $d, $c, $e, $v)", ("$i", snapshot.Instance), ("$n", snapshot.Name),
                ("$s", snapshot.Stateful ? 1 : 0), ("$d", snapshot.Description), ("$c", Time(snapshot.CreatedAt)),
                ("$e", snapshot.ExpiresAt is { } e ? Time(e) : null), ("$v", snapshot.StateDevices is { } v ? string.Join('\n', v) : null));
        }, cancellationToken, () => $"instance \"{snapshot.Instance}\" already has a snapshot named \"{snapshot.Name}\"");

    public Task DeleteSnapshotAsync(string instance, string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, "DELETE FROM snapshots WHERE instance = $i AND name = $n", ("$i", instance), ("$n", name)) == 0)
                throw new NotFoundException($"instance \"{instance}\" has no snapshot \"{name}\"");
        }, cancellationToken);
}
