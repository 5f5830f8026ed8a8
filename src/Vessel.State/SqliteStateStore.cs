using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Data.Sqlite;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.State;

namespace Vessel.State;

/// <summary>
/// The single-host state store: one SQLite database in WAL mode. Writes are serialised in-process and run
/// as BEGIN IMMEDIATE transactions; reads run concurrently on pooled connections.
/// </summary>
public sealed partial class SqliteStateStore : IStateStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public SqliteStateStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        Execute(connection, null, "PRAGMA journal_mode=WAL;");
        Migrate(connection);
    }

    public int SchemaVersion
    {
        get
        {
            using var connection = Open();
            return Convert.ToInt32(Scalar(connection, null, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        }
    }

    private static void Migrate(SqliteConnection connection)
    {
        var version = Convert.ToInt32(Scalar(connection, null, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > Schema.Migrations.Length)
            throw new InvalidOperationException(
                $"the state database has schema version {version}, newer than this vesseld knows ({Schema.Migrations.Length}); upgrade vesseld");
        for (var next = version; next < Schema.Migrations.Length; next++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, Schema.Migrations[next]);
            Execute(connection, transaction, $"PRAGMA user_version = {next + 1}");
            transaction.Commit();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private T Read<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        return read(connection);
    }

    // SQLite answers synchronously; the interface is asynchronous for stores that do not.
    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken) =>
        Task.FromResult(Read(read, cancellationToken));

    /// <summary>
    /// Runs the change in one transaction; constraint violations become the conflict the caller names. A durable commit
    /// waits for the disk (synchronous=FULL). One that is not (NORMAL) still survives a killed daemon, as WAL mode writes it
    /// before the commit returns; only a power cut before the next durable commit or checkpoint can undo it.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write, CancellationToken cancellationToken,
        Func<string>? conflict = null, bool durable = true)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            using var connection = Open();
            Execute(connection, null, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); // per connection
            using var transaction = connection.BeginTransaction();
            T result;
            try
            {
                result = write(connection, transaction);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19 && conflict is not null)
            {
                throw new ConflictException(conflict());
            }
            transaction.Commit();
            InvalidateInstances();
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private Task WriteAsync(Action<SqliteConnection, SqliteTransaction> write, CancellationToken cancellationToken,
        Func<string>? conflict = null, bool durable = true) =>
        WriteAsync((c, t) => { write(c, t); return true; }, cancellationToken, conflict, durable);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    private static List<T> Query<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, Func<SqliteDataReader, T> map, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(map(reader));
        return rows;
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(SqliteDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    private static T FromJson<T>(string json, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(json, type) ?? throw new InvalidDataException($"null JSON in the state database: {json}");

    private static VesselJson Encoding => VesselJson.Lenient;

    public void Dispose()
    {
        _writeLock.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
