using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string PoolColumns = "name, driver, source, description, created_at";

    public Task<IReadOnlyList<StoragePool>> ListPoolsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoragePool>>(c => Query(c, null, $"SELECT {PoolColumns} FROM storage_pools ORDER BY name", ReadPool), cancellationToken);

    public Task<StoragePool?> GetPoolAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query(c, null, $"SELECT {PoolColumns} FROM storage_pools WHERE name = $n", ReadPool, ("$n", name)).SingleOrDefault(),
            cancellationToken);

    private static StoragePool ReadPool(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        Driver = r.GetString(1),
        Source = r.GetString(2),
        Description = r.GetString(3),
        CreatedAt = Time(r, 4),
    };

    public Task CreatePoolAsync(StoragePool pool, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, $"INSERT INTO storage_pools ({PoolColumns}) VALUES ($n, $d, $s, $desc, $created)",
            ("$n", pool.Name), ("$d", pool.Driver), ("$s", pool.Source), ("$desc", pool.Description), ("$created", Time(pool.CreatedAt))),
            cancellationToken, () => $"storage pool \"{pool.Name}\" already exists");

    public Task CheckPoolUnusedAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            CheckPoolUnused(c, null, name);
            return true;
        }, cancellationToken);

    public Task DeletePoolAsync(string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            CheckPoolUnused(c, t, name);
            if (Execute(c, t, "DELETE FROM storage_pools WHERE name = $n", ("$n", name)) == 0)
                throw new NotFoundException($"storage pool \"{name}\" not found");
        }, cancellationToken);

    private static void CheckPoolUnused(SqliteConnection c, SqliteTransaction? t, string name)
    {
        var users = Query(c, t, "SELECT name FROM instances WHERE pool = $n ORDER BY name", r => r.GetString(0), ("$n", name));
        if (users.Count > 0)
            throw new ConflictException($"storage pool \"{name}\" is used by instance(s) {string.Join(", ", users)}");
        var volumes = Query(c, t, "SELECT name FROM storage_volumes WHERE pool = $n ORDER BY name", r => r.GetString(0), ("$n", name));
        if (volumes.Count > 0)
            throw new ConflictException($"storage pool \"{name}\" still holds volume(s) {string.Join(", ", volumes)}");
    }
}
