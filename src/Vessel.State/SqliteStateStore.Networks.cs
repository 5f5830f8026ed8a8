using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State;

public sealed partial class SqliteStateStore
{
    private const string NetworkColumns = "name, description, config, forwards, created_at";

    public Task<IReadOnlyList<Network>> ListNetworksAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Network>>(c => Query(c, null, $"SELECT {NetworkColumns} FROM networks ORDER BY name", ReadNetwork), cancellationToken);

    public Task<Network?> GetNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(c => Query(c, null, $"SELECT {NetworkColumns} FROM networks WHERE name = $n", ReadNetwork, ("$n", name)).SingleOrDefault(),
            cancellationToken);

    private static Network ReadNetwork(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        Description = r.GetString(1),
        Config = FromJson(r.GetString(2), Encoding.DictionaryStringString),
        Forwards = FromJson(r.GetString(3), Encoding.ListNetworkForward),
        CreatedAt = Time(r, 4),
    };

    public Task CreateNetworkAsync(Network network, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) => Execute(c, t, $"INSERT INTO networks ({NetworkColumns}) VALUES ($n, $desc, $config, $forwards, $created)",
            ("$n", network.Name), ("$desc", network.Description), ("$config", Json(ToDictionary(network.Config), Encoding.DictionaryStringString)),
            ("$forwards", Json(network.Forwards.ToList(), Encoding.ListNetworkForward)), ("$created", Time(network.CreatedAt))),
            cancellationToken, () => $"network \"{network.Name}\" already exists");

    public Task UpdateNetworkAsync(Network network, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            var changed = Execute(c, t, "UPDATE networks SET description = $desc, config = $config, forwards = $forwards WHERE name = $n",
                ("$n", network.Name), ("$desc", network.Description), ("$config", Json(ToDictionary(network.Config), Encoding.DictionaryStringString)),
                ("$forwards", Json(network.Forwards.ToList(), Encoding.ListNetworkForward)));
            if (changed == 0)
                throw new NotFoundException($"network \"{network.Name}\" not found");
        }, cancellationToken);

    public Task DeleteNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        WriteAsync((c, t) =>
        {
            var users = Query(c, t, """
                SELECT DISTINCT i.name FROM instances i, json_each(i.devices) d
                WHERE json_extract(d.value, '$.type') = 'nic' AND json_extract(d.value, '$.network') = $n COLLATE NOCASE ORDER BY i.name
                """, r => r.GetString(0), ("$n", name));
            if (users.Count > 0)
                throw new ConflictException($"network \"{name}\" is used by instance(s) {string.Join(", ", users)}");
            if (Execute(c, t, "DELETE FROM networks WHERE name = $n", ("$n", name)) == 0)
                throw new NotFoundException($"network \"{name}\" not found");
        }, cancellationToken);

    private static void CheckNetworksExist(SqliteConnection connection, SqliteTransaction transaction,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices)
    {
        foreach (var (device, settings) in devices)
        {
            if (settings.GetValueOrDefault("type") == "nic" && settings.GetValueOrDefault("network") is { } network &&
                Scalar(connection, transaction, "SELECT 1 FROM networks WHERE name = $n", ("$n", network)) is null)
                throw new NotFoundException($"devices.{device}.network: network \"{network}\" not found");
        }
    }
}
