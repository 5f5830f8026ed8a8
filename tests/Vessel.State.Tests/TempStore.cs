using Microsoft.Data.Sqlite;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

/// <summary>A state database in its own temp directory, removed on dispose.</summary>
internal sealed class TempStore : IDisposable
{
    public static readonly DateTimeOffset Epoch = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public TempStore()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("vessel-state-").FullName;
        Path = System.IO.Path.Combine(Directory, "vessel.db");
        Store = new SqliteStateStore(Path);
    }

    public string Directory { get; }

    public string Path { get; }

    public SqliteStateStore Store { get; private set; }

    /// <summary>Closes the store and opens the same file again, as a daemon restart does.</summary>
    public SqliteStateStore Reopen()
    {
        Store.Dispose();
        Store = new SqliteStateStore(Path);
        return Store;
    }

    /// <summary>A connection that bypasses the store, to look at or tamper with the file.</summary>
    public SqliteConnection Raw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public async Task<StoragePool> AddPoolAsync(string name = "default")
    {
        var pool = new StoragePool { Name = name, Driver = "dir", Source = $"/var/lib/vessel/pools/{name}", CreatedAt = Epoch };
        await Store.CreatePoolAsync(pool);
        return pool;
    }

    public static Instance Instance(string name, string pool = "default", string? image = null) => new()
    {
        Name = name,
        Type = InstanceType.Container,
        Pool = pool,
        Image = image,
        CreatedAt = Epoch,
        StatusChangedAt = Epoch,
    };

    public static Image Image(string fingerprint, InstanceType type = InstanceType.Container) => new()
    {
        Fingerprint = fingerprint,
        Type = type,
        Architecture = "x86_64",
        Format = type == InstanceType.Container ? "tar" : "qcow2",
        Filename = type == InstanceType.Container ? "rootfs.tar" : "disk.qcow2",
        Size = 1024,
        CreatedAt = Epoch,
    };

    /// <summary>A 64-digit fingerprint made of one repeated hex digit.</summary>
    public static string Fingerprint(char digit) => new(digit, 64);

    public void Dispose()
    {
        Store.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
