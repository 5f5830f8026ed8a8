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
}
