namespace Vessel.Core.Tests;

public sealed class ReverterTests
{
    [Fact]
    public async Task Failure_UndoesEveryStepInReverseOrder()
    {
        var undone = new List<string>();

        await using (var revert = new Reverter())
        {
            revert.Add(() => undone.Add("first"));
            revert.Add(async () => { await Task.Yield(); undone.Add("second"); });
            revert.Add(() => undone.Add("third"));
        }

        Assert.Equal(["third", "second", "first"], undone);
    }

    [Fact]
    public async Task Success_UndoesNothing()
    {
        var undone = new List<string>();

        await using (var revert = new Reverter())
        {
            revert.Add(() => undone.Add("first"));
            revert.Add(() => Task.Run(() => undone.Add("second")));
            revert.Success();
        }

        Assert.Empty(undone);
    }

    [Fact]
    public async Task ThrowingUndo_DoesNotStopTheRest()
    {
        var undone = new List<string>();

        await using (var revert = new Reverter())
        {
            revert.Add(() => undone.Add("first"));
            revert.Add((Action)(() => throw new InvalidOperationException("undo failed")));
            revert.Add(() => Task.FromException(new IOException("async undo failed")));
            revert.Add(() => undone.Add("last"));
        }

        Assert.Equal(["last", "first"], undone);
    }

    [Fact]
    public async Task ExceptionInTheBody_StillRunsTheUndoAndPropagates()
    {
        var undone = new List<string>();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var revert = new Reverter();
            revert.Add(() => undone.Add("volume"));
            throw new InvalidOperationException("create failed");
        });

        Assert.Equal("create failed", e.Message);
        Assert.Equal(["volume"], undone);
    }

    [Fact]
    public async Task DisposingTwice_UndoesOnce()
    {
        var count = 0;
        var revert = new Reverter();
        revert.Add(() => count++);

        await revert.DisposeAsync();
        await revert.DisposeAsync();

        Assert.Equal(1, count);
    }
}
