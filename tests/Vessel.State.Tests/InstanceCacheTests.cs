using System.Globalization;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

/// <summary>Instance reads come from a cache: every committed write must drop it.</summary>
public sealed class InstanceCacheTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    private async Task<Instance> CachedAsync(string name = "web1")
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance(name));
        // Two reads: the first fills the cache, the second is served from it.
        await Store.ListInstancesAsync();
        return (await Store.GetInstanceAsync(name))!;
    }

    [Fact]
    public async Task Create_IsSeenByTheNextRead()
    {
        await CachedAsync();

        await Store.CreateInstanceAsync(TempStore.Instance("web2"));

        Assert.NotNull(await Store.GetInstanceAsync("web2"));
        Assert.Equal(2, (await Store.ListInstancesAsync()).Count);
    }

    [Fact]
    public async Task UpdateConfig_IsSeenByTheNextRead()
    {
        await CachedAsync();

        await Store.UpdateInstanceConfigAsync("web1", new Dictionary<string, string> { ["user.a"] = "b" },
            new Dictionary<string, IReadOnlyDictionary<string, string>>());

        Assert.Equal("b", (await Store.GetInstanceAsync("web1"))!.Config["user.a"]);
        Assert.Equal("b", (await Store.ListInstancesAsync())[0].Config["user.a"]);
    }

    [Fact]
    public async Task TryTransition_IsSeenByTheNextRead()
    {
        await CachedAsync();

        await Store.TryTransitionAsync("web1", InstanceStatus.Stopped, InstanceStatus.Starting, null);

        Assert.Equal(InstanceStatus.Starting, (await Store.GetInstanceAsync("web1"))!.Status);
    }

    [Fact]
    public async Task SetStatus_IsSeenByTheNextRead()
    {
        await CachedAsync();

        await Store.SetStatusAsync("web1", InstanceStatus.Error, "boom");

        Assert.Equal("boom", (await Store.ListInstancesAsync())[0].StatusReason);
    }

    [Fact]
    public async Task Delete_IsSeenByTheNextRead()
    {
        await CachedAsync();

        await Store.DeleteInstanceAsync("web1");

        Assert.Null(await Store.GetInstanceAsync("web1"));
        Assert.Empty(await Store.ListInstancesAsync());
    }

    [Fact]
    public async Task FailedWrite_LeavesTheCachedRowsRight()
    {
        var before = await CachedAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => Store.CreateInstanceAsync(TempStore.Instance("web1")));

        Assert.Equal(before.Status, (await Store.GetInstanceAsync("web1"))!.Status);
        Assert.Single(await Store.ListInstancesAsync());
    }

    [Fact]
    public async Task ConcurrentTransitions_ExactlyOneWins()
    {
        await CachedAsync();
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await Store.TryTransitionAsync("web1", InstanceStatus.Stopped, InstanceStatus.Starting, null);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, won => won);
        Assert.Equal(InstanceStatus.Starting, (await Store.GetInstanceAsync("web1"))!.Status);
    }

    [Fact]
    public async Task ConcurrentReadersAndWriters_NeverSeeAValueGoBackward_AndEndWithEveryWrite()
    {
        const int writers = 3;
        const int writesEach = 40;
        await _db.AddPoolAsync();
        for (var w = 0; w < writers; w++)
            await Store.CreateInstanceAsync(TempStore.Instance($"w{w}"));
        using var done = new CancellationTokenSource();

        var writing = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var n = 1; n <= writesEach; n++)
            {
                await Store.UpdateInstanceConfigAsync($"w{w}", new Dictionary<string, string> { ["user.n"] = n.ToString(CultureInfo.InvariantCulture) },
                    new Dictionary<string, IReadOnlyDictionary<string, string>>());
                // What a writer has written, it reads back.
                var mine = (await Store.GetInstanceAsync($"w{w}"))!;
                Assert.Equal(n, Count(mine));
            }
        })).ToList();
        var reading = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var seen = new int[writers];
            var reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                var list = await Store.ListInstancesAsync();
                Assert.Equal(writers, list.Count);
                for (var w = 0; w < writers; w++)
                {
                    var now = Count(list[w]);
                    Assert.True(now >= seen[w], $"w{w} went back from {seen[w]} to {now}");
                    seen[w] = now;
                }
                reads++;
            }
            return reads;
        })).ToList();

        await Task.WhenAll(writing);
        await done.CancelAsync();
        await Task.WhenAll(reading);

        var final = await Store.ListInstancesAsync();
        Assert.All(final, i => Assert.Equal(writesEach, Count(i)));
        using var reopened = new SqliteStateStore(_db.Path);
        Assert.All(await reopened.ListInstancesAsync(), i => Assert.Equal(writesEach, Count(i)));
    }

    private static int Count(Instance instance) =>
        instance.Config.TryGetValue("user.n", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 0;
}
