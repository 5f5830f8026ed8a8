using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Tests;

/// <summary>snapshots.schedule, .schedule.stopped, .pattern and .expiry against a real daemon on a fake clock.</summary>
public sealed class SnapshotSchedulerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2025, 3, 14, 11, 58, 30, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly FakeDriver _engine = new(InstanceType.Container);
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_time, _engine);
        await _daemon.ImportTarAsync("base");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"))).Status);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private static DateTimeOffset At(int hour, int minute, int second = 0) => new(2025, 3, 14, hour, minute, second, TimeSpan.Zero);

    private async Task<HttpResponseMessage> SetAsync(string instance, string key, string value) =>
        await _daemon.SendJsonAsync(HttpMethod.Patch, $"/1.0/instances/{instance}", JsonSerializer.Serialize(new Dictionary<string, Dictionary<string, string>>
        {
            ["config"] = new() { [key] = value },
        }));

    private async Task ConfigureAsync(string instance, params (string Key, string Value)[] settings)
    {
        foreach (var (key, value) in settings)
        {
            var response = await SetAsync(instance, key, value);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Moves the clock to the time, waits for the scheduler's pass of that minute and for the operations it started.</summary>
    private async Task AdvanceToAsync(DateTimeOffset time)
    {
        _time.Advance(time - _time.GetUtcNow());
        await PassOfAsync(time);
    }

    private async Task PassOfAsync(DateTimeOffset time)
    {
        var minute = new DateTimeOffset(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, TimeSpan.Zero);
        var scheduler = _daemon.Services.GetRequiredService<SnapshotScheduler>();
        for (var i = 0; scheduler.LastPass != minute; i++)
        {
            Assert.True(i < 1000, $"the scheduler did not pass {minute:O} (last: {scheduler.LastPass:O})");
            await Task.Delay(10);
        }
        foreach (var operation in await OperationsAsync())
        {
            if (operation.Status == OperationStatus.Running)
                await _daemon.Http.GetAsync($"/1.0/operations/{operation.Id}/wait?timeout=30");
        }
    }

    private async Task<List<Operation>> OperationsAsync() =>
        JsonSerializer.Deserialize(await _daemon.Http.GetStringAsync("/1.0/operations"), VesselJson.Wire.ListOperation)!;

    private async Task<List<Snapshot>> SnapshotsAsync(string instance) =>
        JsonSerializer.Deserialize(await _daemon.Http.GetStringAsync($"/1.0/instances/{instance}/snapshots"), VesselJson.Wire.ListSnapshot)!;

    private async Task<List<string>> NamesAsync(string instance) => [.. (await SnapshotsAsync(instance)).Select(s => s.Name)];

    [Fact]
    public async Task Schedule_TakesASnapshotInTheDueMinute_AndNotOtherwise()
    {
        await ConfigureAsync("web1", ("snapshots.schedule", "0 12 * * *"));

        await AdvanceToAsync(At(11, 59));
        Assert.Empty(await NamesAsync("web1"));

        await AdvanceToAsync(At(12, 0, 5));
        Assert.Equal(["snap0"], await NamesAsync("web1"));
        Assert.Equal(["web1/snap0"], _engine.Snapshots);
        var taken = Assert.Single(await OperationsAsync(), o => o.Description.Contains("snap0", StringComparison.Ordinal));
        Assert.Equal("Snapshotting instance web1 as snap0 (scheduled)", taken.Description);
        Assert.Equal(OperationStatus.Success, taken.Status);
        var snapshot = Assert.Single(await SnapshotsAsync("web1"));
        Assert.Equal(At(12, 0, 5), snapshot.CreatedAt);
        Assert.Null(snapshot.ExpiresAt);
        Assert.False(snapshot.Stateful);

        await AdvanceToAsync(At(12, 1));
        await AdvanceToAsync(At(13, 0));
        Assert.Equal(["snap0"], await NamesAsync("web1"));
    }

    [Fact]
    public async Task Schedule_SkipsStoppedInstances_UnlessScheduleStoppedIsTrue()
    {
        foreach (var name in (string[])["idle", "idle-too"])
        {
            Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync(name, "base"))).Status);
            Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync(name, "stop"))).Status);
            await ConfigureAsync(name, ("snapshots.schedule", "* * * * *"));
        }
        await ConfigureAsync("idle-too", ("snapshots.schedule.stopped", "true"));
        await ConfigureAsync("web1", ("snapshots.schedule", "* * * * *"));

        await AdvanceToAsync(At(11, 59));

        Assert.Equal(["snap0"], await NamesAsync("web1"));
        Assert.Empty(await NamesAsync("idle"));
        Assert.Equal(["snap0"], await NamesAsync("idle-too"));
    }

    [Fact]
    public async Task Pattern_NamesScheduledSnapshots_AndExpiredOnesAreDeleted()
    {
        await ConfigureAsync("web1", ("snapshots.pattern", "auto-{date:yyyyMMdd-HHmm}"), ("snapshots.expiry", "2M"), ("snapshots.schedule", "* * * * *"));

        await AdvanceToAsync(At(12, 0));
        await AdvanceToAsync(At(12, 1));
        var first = (await SnapshotsAsync("web1"))[0];
        Assert.Equal(["auto-20250314-1200", "auto-20250314-1201"], await NamesAsync("web1"));
        Assert.Equal(At(12, 2), first.ExpiresAt);

        await AdvanceToAsync(At(12, 2));

        Assert.Equal(["auto-20250314-1201", "auto-20250314-1202"], await NamesAsync("web1"));
        Assert.Equal(["web1/auto-20250314-1201", "web1/auto-20250314-1202"], _engine.Snapshots);
        Assert.Contains(await OperationsAsync(), o => o.Description == "Deleting expired snapshot auto-20250314-1200 of instance web1"
            && o.Status == OperationStatus.Success);
    }

    [Fact]
    public async Task ManualSnapshots_TakeTheInstancesExpiry_OrTheirOwn_AndExpireToo()
    {
        await ConfigureAsync("web1", ("snapshots.expiry", "1H"));
        async Task<Snapshot> TakeAsync(string json)
        {
            var operation = await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/web1/snapshots", json));
            Assert.Equal(OperationStatus.Success, operation.Status);
            return (await SnapshotsAsync("web1"))[^1];
        }

        Assert.Equal(Start.AddHours(1), (await TakeAsync("""{"name": "by-config"}""")).ExpiresAt);
        Assert.Equal(Start.AddDays(1).AddHours(3), (await TakeAsync("""{"name": "by-span", "expiry": "1d 3H"}""")).ExpiresAt);
        Assert.Equal(Start.AddMinutes(2), (await TakeAsync("""{"name": "by-time", "expires_at": "2025-03-14T13:00:30+01:00"}""")).ExpiresAt);
        Assert.Null((await TakeAsync("""{"name": "kept", "expiry": "never"}""")).ExpiresAt);

        await AdvanceToAsync(At(12, 1));
        Assert.Equal(["by-config", "by-span", "kept"], await NamesAsync("web1"));
        await AdvanceToAsync(At(12, 59));
        Assert.Equal(["by-span", "kept"], await NamesAsync("web1"));
    }

    [Theory]
    [InlineData("""{"expiry": "1h"}""", "expiry: \"1h\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    [InlineData("""{"expiry": "1d", "expires_at": "2030-01-01T00:00:00Z"}""", "expiry, expires_at: give one of them, not both")]
    [InlineData("""{"expires_at": "2025-03-14T11:58:30Z"}""", "expires_at: 2025-03-14T11:58:30.0000000+00:00 has passed already")]
    public async Task ManualSnapshot_WithABadExpiry_Answers400_AndTakesNothing(string json, string expected)
    {
        var response = await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/web1/snapshots", json);

        Assert.Equal(expected, await TestDaemon.ErrorAsync(response, HttpStatusCode.BadRequest));
        Assert.Empty(await NamesAsync("web1"));
    }

    [Fact]
    public async Task Restart_WithinTheDueMinute_DoesNotTakeItsSnapshotTwice()
    {
        await ConfigureAsync("web1", ("snapshots.schedule", "0 12 * * *"));
        await AdvanceToAsync(At(12, 0, 10));
        Assert.Equal(["snap0"], await NamesAsync("web1"));

        _time.Advance(TimeSpan.FromSeconds(20));
        await _daemon.RestartAsync(_engine);
        await PassOfAsync(At(12, 0));

        Assert.Equal(["snap0"], await NamesAsync("web1"));
        await AdvanceToAsync(At(12, 1));
        Assert.Equal(["snap0"], await NamesAsync("web1"));
    }

    [Fact]
    public async Task OneInstanceFailing_DoesNotKeepTheOthersFromTheirSnapshots()
    {
        // a-bad comes first; its stored expiry is one an older daemon could have let through.
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("a-bad", "base"))).Status);
        var store = _daemon.Services.GetRequiredService<IStateStore>();
        var bad = (await store.GetInstanceAsync("a-bad"))!;
        await store.UpdateInstanceConfigAsync("a-bad",
            new Dictionary<string, string>(bad.Config) { ["snapshots.schedule"] = "* * * * *", ["snapshots.expiry"] = "forever" }, bad.Devices);
        await ConfigureAsync("web1", ("snapshots.schedule", "* * * * *"));

        await AdvanceToAsync(At(11, 59));

        Assert.Empty(await NamesAsync("a-bad"));
        Assert.Equal(["snap0"], await NamesAsync("web1"));
    }

    [Theory]
    [InlineData("snapshots.schedule", "61 * * * *", "snapshots.schedule: minute field \"61\" is out of range 0-59")]
    [InlineData("snapshots.schedule", "0 0 30 2 *", "snapshots.schedule: \"0 0 30 2 *\" never comes: no chosen month has the chosen day")]
    [InlineData("snapshots.schedule.stopped", "1", "snapshots.schedule.stopped: \"1\" is not true or false")]
    [InlineData("snapshots.pattern", "{date:yyyy}", "snapshots.pattern: \"2000\" must start with a letter")]
    [InlineData("snapshots.expiry", "3 days", "snapshots.expiry: \"3\" is not a number and a unit such as 3d, 12H or 6m (units: S seconds, M minutes, H hours, d days, w weeks, m months, y years)")]
    public async Task ConfigSet_WithABadValue_Answers400_AndKeepsTheConfig(string key, string value, string expected)
    {
        Assert.Equal(expected, await TestDaemon.ErrorAsync(await SetAsync("web1", key, value), HttpStatusCode.BadRequest));
        Assert.False((await _daemon.GetInstanceAsync("web1")).Config.ContainsKey(key));
    }
}
