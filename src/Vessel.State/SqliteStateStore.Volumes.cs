using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string VolumeColumns = "pool, name, content_type, config, description, created_at";

    public Task<IReadOnlyList<StorageVolume>> ListVolumesAsync(string pool, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StorageVolume>>(c => Query(c, null, $"SELECT {VolumeColumns} FROM storage_volumes WHERE pool = $p ORDER BY name",
            ReadVolume, ("$p", pool)), cancellationToken);

    public Task<StorageVolume?> GetVolumeAsync(string pool, string name, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query(c, null, $"SELECT {VolumeColumns} FROM storage_volumes WHERE pool = $p AND name = $n", ReadVolume,
            ("$p", pool), ("$n", name)).SingleOrDefault(), cancellationToken);

    private static StorageVolume ReadVolume(SqliteDataReader r) => new()
    {
        Pool = r.GetString(0),
        Name = r.GetString(1),
        ContentType = r.GetString(2),
        Config = FromJson(r.GetString(3), Encoding.DictionaryStringString),
        Description = r.GetString(4),
        CreatedAt = Time(r, 5),
    };

    public Task CreateVolumeAsync(StorageVolume volume, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Scalar(c, t, "SELECT 1 FROM storage_pools WHERE name = $p", ("$p", volume.Pool)) is null)
                throw new NotFoundException($"storage pool \"{volume.Pool}\" not found");
            Execute(c, t, $"INSERT INTO storage_volumes ({VolumeColumns}) VALUES ($p, $n, $type, $config, $desc, $created)",
                ("$p", volume.Pool), ("$n", volume.Name), ("$type", volume.ContentType),
                ("$config", Json(ToDictionary(volume.Config), Encoding.DictionaryStringString)), ("$desc", volume.Description),
                ("$created", Time(volume.CreatedAt)));
        }, cancellationToken, () => $"storage volume \"{volume.Name}\" already exists in storage pool \"{volume.Pool}\"");

    public Task UpdateVolumeAsync(StorageVolume volume, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            if (Execute(c, t, "UPDATE storage_volumes SET config = $config, description = $desc WHERE pool = $p AND name = $n",
                    ("$p", volume.Pool), ("$n", volume.Name), ("$config", Json(ToDictionary(volume.Config), Encoding.DictionaryStringString)),
                    ("$desc", volume.Description)) == 0)
                throw new NotFoundException($"storage volume \"{volume.Name}\" not found in storage pool \"{volume.Pool}\"");
        }, cancellationToken);

    /// <summary>Refuses while an instance's device names the volume, in the same transaction as the delete.</summary>
    public Task DeleteVolumeAsync(string pool, string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            var users = Query(c, t, """
                SELECT DISTINCT i.name FROM instances i, json_each(i.devices) d
                WHERE json_extract(d.value, '$.type') = 'disk' AND json_extract(d.value, '$.pool') = $p COLLATE NOCASE
                  AND json_extract(d.value, '$.source') = $n COLLATE NOCASE ORDER BY i.name
                """, r => r.GetString(0), ("$p", pool), ("$n", name));
            if (users.Count > 0)
                throw new ConflictException($"storage volume \"{name}\" is attached to instance(s) {string.Join(", ", users)}; detach it first");
            if (Execute(c, t, "DELETE FROM storage_volumes WHERE pool = $p AND name = $n", ("$p", pool), ("$n", name)) == 0)
                throw new NotFoundException($"storage volume \"{name}\" not found in storage pool \"{pool}\"");
        }, cancellationToken);

    /// <summary>A disk device with a source and a pool names a custom volume, which must exist.</summary>
    private static void CheckVolumesExist(SqliteConnection connection, SqliteTransaction transaction,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices)
    {
        foreach (var (device, settings) in devices)
        {
            if (settings.GetValueOrDefault("type") == "disk" && settings.GetValueOrDefault("source") is { } source &&
                settings.GetValueOrDefault("pool") is { } pool &&
                Scalar(connection, transaction, "SELECT 1 FROM storage_volumes WHERE pool = $p AND name = $n", ("$p", pool), ("$n", source)) is null)
                throw new NotFoundException($"devices.{device}.source: storage volume \"{source}\" not found in storage pool \"{pool}\"");
        }
    }
}
