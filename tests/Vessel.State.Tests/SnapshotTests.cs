using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class SnapshotTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    private static Snapshot Snap(string instance, string name, DateTimeOffset? expires) => new()
    {
        Instance = instance, Name = name, Description = "d", CreatedAt = TempStore.Epoch, ExpiresAt = expires,
    };

    [Fact]
    public async Task Create_ThenList_RoundTripsTheExpiry_AndANullOne()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("c1"));
        var expires = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.FromHours(2));
        await Store.CreateSnapshotAsync(Snap("c1", "a", expires));
        await Store.CreateSnapshotAsync(Snap("c1", "b", null));

        var listed = await _db.Reopen().ListSnapshotsAsync("c1");

        Assert.Equal([Snap("c1", "a", expires), Snap("c1", "b", null)], listed);
        Assert.Equal(TimeSpan.Zero, listed[0].ExpiresAt!.Value.Offset);
    }

    [Fact]
    public async Task ListExpired_GivesEveryInstancesSnapshotsDueByThen_OldestFirst()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("c1"));
        await Store.CreateInstanceAsync(TempStore.Instance("c2"));
        var now = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);
        await Store.CreateSnapshotAsync(Snap("c1", "later", now.AddSeconds(1)));
        await Store.CreateSnapshotAsync(Snap("c1", "exactly", now));
        await Store.CreateSnapshotAsync(Snap("c2", "long-ago", now.AddDays(-300)));
        await Store.CreateSnapshotAsync(Snap("c2", "never", null));
        await Store.CreateSnapshotAsync(Snap("c2", "other-zone", new DateTimeOffset(2025, 3, 14, 13, 0, 0, TimeSpan.FromHours(2)))); // 11:00 UTC

        var expired = await Store.ListExpiredSnapshotsAsync(now);

        Assert.Equal(["c2/long-ago", "c2/other-zone", "c1/exactly"], expired.Select(s => $"{s.Instance}/{s.Name}"));
    }
}
