using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class OperationTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    private static Operation Op(string id, OperationStatus status, DateTimeOffset? updated = null) => new()
    {
        Id = id,
        Description = $"Doing {id}",
        Status = status,
        Resources = [$"/1.0/instances/{id}"],
        MayCancel = true,
        CreatedAt = TempStore.Epoch,
        UpdatedAt = updated ?? TempStore.Epoch,
    };

    [Fact]
    public async Task Create_ThenGet_RoundTrips()
    {
        var before = Op("op1", OperationStatus.Running) with { Resources = ["/1.0/instances/a", "/1.0/images/b"], Error = "partial" };

        await Store.CreateOperationAsync(before);
        var after = await Store.GetOperationAsync("op1");

        Assert.NotNull(after);
        Assert.Equal(before with { Resources = after.Resources }, after);
        Assert.Equal(before.Resources, after.Resources);
        Assert.Null(await Store.GetOperationAsync("op2"));
    }

    [Fact]
    public async Task Create_SameIdTwice_IsConflict() =>
        await Assert.ThrowsAsync<ConflictException>(async () =>
        {
            await Store.CreateOperationAsync(Op("op1", OperationStatus.Pending));
            await Store.CreateOperationAsync(Op("op1", OperationStatus.Pending));
        });

    [Fact]
    public async Task List_IsOrderedByCreation()
    {
        await Store.CreateOperationAsync(Op("late", OperationStatus.Pending) with { CreatedAt = TempStore.Epoch.AddMinutes(1) });
        await Store.CreateOperationAsync(Op("early", OperationStatus.Pending));

        Assert.Equal(["early", "late"], (await Store.ListOperationsAsync()).Select(o => o.Id));
    }

    [Fact]
    public async Task Update_ChangesStatusErrorCancelAndTime()
    {
        await Store.CreateOperationAsync(Op("op1", OperationStatus.Running));
        var done = Op("op1", OperationStatus.Failure, TempStore.Epoch.AddSeconds(9)) with { Error = "disk full", MayCancel = false };

        await Store.UpdateOperationAsync(done);

        var after = (await Store.GetOperationAsync("op1"))!;
        Assert.Equal(done with { Resources = after.Resources }, after);
        Assert.Equal(["/1.0/instances/op1"], after.Resources);
    }

    [Fact]
    public async Task Update_Unknown_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.UpdateOperationAsync(Op("op9", OperationStatus.Success)));

        Assert.Equal("operation op9 not found", e.Message);
    }

    [Fact]
    public async Task FailUnfinished_FailsPendingAndRunning_WithTheReason()
    {
        foreach (var status in Enum.GetValues<OperationStatus>())
            await Store.CreateOperationAsync(Op(status.ToString(), status) with { Error = status == OperationStatus.Failure ? "own error" : null });
        var before = DateTimeOffset.UtcNow;

        var failed = await Store.FailUnfinishedOperationsAsync("vesseld restarted");

        Assert.Equal(["Pending", "Running"], failed.Select(o => o.Id).Order(StringComparer.Ordinal));
        foreach (var id in new[] { "Pending", "Running" })
        {
            var op = (await Store.GetOperationAsync(id))!;
            Assert.Equal(OperationStatus.Failure, op.Status);
            Assert.Equal("vesseld restarted", op.Error);
            Assert.False(op.MayCancel);
            Assert.True(op.UpdatedAt >= before.AddSeconds(-1));
            Assert.Equal(op, failed.Single(f => f.Id == id) with { Resources = op.Resources });
        }
        Assert.Equal(OperationStatus.Success, (await Store.GetOperationAsync("Success"))!.Status);
        Assert.Equal("own error", (await Store.GetOperationAsync("Failure"))!.Error);
        Assert.Equal(OperationStatus.Cancelled, (await Store.GetOperationAsync("Cancelled"))!.Status);
        Assert.Equal(TempStore.Epoch, (await Store.GetOperationAsync("Success"))!.UpdatedAt);
    }

    [Fact]
    public async Task FailUnfinished_WithNothingUnfinished_ReturnsNothing()
    {
        await Store.CreateOperationAsync(Op("op1", OperationStatus.Success));

        Assert.Empty(await Store.FailUnfinishedOperationsAsync("restart"));
    }

    [Fact]
    public async Task Prune_DropsOnlyFinalOperationsOlderThanTheCutoff()
    {
        var cutoff = TempStore.Epoch.AddHours(1);
        var old = TempStore.Epoch;
        var recent = cutoff.AddMinutes(1);
        await Store.CreateOperationAsync(Op("old-success", OperationStatus.Success, old));
        await Store.CreateOperationAsync(Op("old-failure", OperationStatus.Failure, old));
        await Store.CreateOperationAsync(Op("old-cancelled", OperationStatus.Cancelled, old));
        await Store.CreateOperationAsync(Op("old-pending", OperationStatus.Pending, old));
        await Store.CreateOperationAsync(Op("old-running", OperationStatus.Running, old));
        await Store.CreateOperationAsync(Op("recent-success", OperationStatus.Success, recent));
        await Store.CreateOperationAsync(Op("at-cutoff", OperationStatus.Success, cutoff));

        await Store.PruneOperationsAsync(cutoff);

        Assert.Equal(["at-cutoff", "old-pending", "old-running", "recent-success"],
            (await Store.ListOperationsAsync()).Select(o => o.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Prune_ComparesInstantsWhateverTheOffset()
    {
        var updated = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.FromHours(5)); // 07:00 UTC
        await Store.CreateOperationAsync(Op("op1", OperationStatus.Success, updated));

        await Store.PruneOperationsAsync(new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero));

        Assert.Empty(await Store.ListOperationsAsync());
    }
}
