namespace Vessel.State.Tests;

public sealed class SettingTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Setting_IsNullUntilSet_ThenReplaced()
    {
        Assert.Null(await _db.Store.GetSettingAsync("host.boot_id"));

        await _db.Store.SetSettingAsync("host.boot_id", "one");
        await _db.Store.SetSettingAsync("host.boot_id", "two");

        Assert.Equal("two", await _db.Store.GetSettingAsync("host.boot_id"));
    }

    [Fact]
    public async Task Setting_Deleted_IsNullAgain()
    {
        await _db.Store.SetSettingAsync("core.https_address", "127.0.0.1:8443");
        await _db.Store.DeleteSettingAsync("core.https_address");
        await _db.Store.DeleteSettingAsync("core.https_address");
        Assert.Null(await _db.Store.GetSettingAsync("core.https_address"));
    }
}
