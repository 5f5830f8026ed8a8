using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class PoolTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    [Fact]
    public async Task Create_ThenGet_RoundTrips()
    {
        var before = new StoragePool
        {
            Name = "fast",
            Driver = "dir",
            Source = "/srv/vessel/fast",
            Description = "NVMe",
            CreatedAt = TempStore.Epoch,
        };

        await Store.CreatePoolAsync(before);

        Assert.Equal(before, await Store.GetPoolAsync("fast"));
        Assert.Equal(before, await Store.GetPoolAsync("FAST"));
        Assert.Null(await Store.GetPoolAsync("slow"));
    }

    [Fact]
    public async Task List_IsOrderedByName()
    {
        await _db.AddPoolAsync("b");
        await _db.AddPoolAsync("a");

        Assert.Equal(["a", "b"], (await Store.ListPoolsAsync()).Select(p => p.Name));
    }

    [Theory]
    [InlineData("default")]
    [InlineData("Default")]
    public async Task Create_Duplicate_IsConflict(string second)
    {
        await _db.AddPoolAsync("default");

        var e = await Assert.ThrowsAsync<ConflictException>(() => _db.AddPoolAsync(second));

        Assert.Equal($"storage pool \"{second}\" already exists", e.Message);
    }

    [Fact]
    public async Task Delete_RemovesThePool()
    {
        await _db.AddPoolAsync("default");

        await Store.DeletePoolAsync("default");

        Assert.Empty(await Store.ListPoolsAsync());
    }

    [Fact]
    public async Task Delete_WithInstances_IsConflictNamingThem()
    {
        await _db.AddPoolAsync("default");
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.DeletePoolAsync("default"));
        var check = await Assert.ThrowsAsync<ConflictException>(() => Store.CheckPoolUnusedAsync("default"));

        Assert.Equal("storage pool \"default\" is used by instance(s) web1", e.Message);
        Assert.Equal(e.Message, check.Message);
        Assert.NotNull(await Store.GetPoolAsync("default"));
    }

    [Fact]
    public async Task Delete_Unknown_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.DeletePoolAsync("nope"));

        Assert.Equal("storage pool \"nope\" not found", e.Message);
    }
}
