using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Vessel.State.Tests;

public sealed class SchemaTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private static int MigrationCount =>
        ((string[])typeof(SqliteStateStore).Assembly.GetType("Vessel.State.Schema", throwOnError: true)!
            .GetField("Migrations", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!).Length;

    private long UserVersion()
    {
        using var connection = _db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void NewDatabase_IsAtTheLatestSchemaVersion()
    {
        Assert.True(MigrationCount >= 1);
        Assert.Equal(MigrationCount, _db.Store.SchemaVersion);
        Assert.Equal(MigrationCount, UserVersion());
    }

    [Fact]
    public void NewDatabase_HasEveryTable()
    {
        using var connection = _db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        var tables = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
                tables.Add(reader.GetString(0));
        }

        Assert.Equal(["auth_sessions", "auth_tokens", "image_aliases", "images", "instances", "networks", "operations", "settings", "snapshots", "storage_pools", "storage_volumes", "trusted_certificates"], tables);
    }

    [Fact]
    public void JournalMode_IsWal()
    {
        using var connection = _db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", (string)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task Reopening_KeepsTheDataAndTheVersion()
    {
        await _db.AddPoolAsync();
        await _db.Store.CreateInstanceAsync(TempStore.Instance("web1"));

        // Re-running the first migration would fail on CREATE TABLE, so a clean open also shows it did not run again.
        var store = _db.Reopen();

        Assert.Equal(MigrationCount, store.SchemaVersion);
        Assert.Equal("web1", Assert.Single(await store.ListInstancesAsync()).Name);
        Assert.Equal("default", Assert.Single(await store.ListPoolsAsync()).Name);
    }

    [Fact]
    public void NewerSchemaVersion_IsRefusedWithAClearMessage()
    {
        _db.Store.Dispose();
        var newer = MigrationCount + 1;
        using (var connection = _db.Raw())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"PRAGMA user_version = {newer}";
            command.ExecuteNonQuery();
        }

        var e = Assert.Throws<InvalidOperationException>(() => new SqliteStateStore(_db.Path));

        Assert.Equal($"the state database has schema version {newer}, newer than this vesseld knows ({MigrationCount}); upgrade vesseld", e.Message);
        Assert.Equal(newer, UserVersion());
    }

    [Fact]
    public void UnwritableLocation_FailsAtOpen() =>
        Assert.ThrowsAny<SqliteException>(() => new SqliteStateStore(Path.Combine(_db.Directory, "missing", "dir", "vessel.db")));
}
