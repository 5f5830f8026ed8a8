using System.Net;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>What runs on one instance runs one at a time: each waits for the one before it, whole.</summary>
public sealed class InstanceLocksTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FakeDriver _engine = new();
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/web1/snapshots",
            """{"name": "s"}"""))).Status);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private Task<HttpResponseMessage> RestoreAsync() => _daemon.Http.PostAsync("/1.0/instances/web1/snapshots/s/restore", null);

    private int Starts => _engine.Calls.Count(c => c == "start web1");

    /// <summary>The operation a 202 answer started, as it stands after waiting at most a second for it.</summary>
    private async Task<Operation> AfterASecondAsync(HttpResponseMessage accepted)
    {
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var operation = JsonSerializer.Deserialize(await accepted.Content.ReadAsStringAsync(), VesselJson.Wire.Operation)!;
        return await TestDaemon.ReadAsync(await _daemon.Http.GetAsync($"/1.0/operations/{operation.Id}/wait?timeout=1"), VesselJson.Wire.Operation);
    }

    [Fact]
    public async Task StartDuringTheRestoreOfAStoppedInstance_WaitsForIt()
    {
        await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"));
        var hold = _engine.HoldOn("restore");
        var restore = await RestoreAsync();
        await hold.Entered.Task.WaitAsync(Patience);

        var start = await _daemon.ActAsync("web1", "start");
        Assert.Equal(OperationStatus.Running, (await AfterASecondAsync(start)).Status);
        Assert.Equal(1, Starts); // the launch's only

        hold.Release.SetResult();
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(restore)).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(start)).Status);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
        Assert.Equal(["web1/s"], _engine.Restored);
    }

    [Fact]
    public async Task StartDuringTheRestoreOfARunningInstance_ComesAfterTheRestoresOwnStart()
    {
        var hold = _engine.HoldOn("restore");
        var restore = await RestoreAsync();
        await hold.Entered.Task.WaitAsync(Patience); // stopped for the restore
        Assert.Equal(InstanceStatus.Stopped, (await _daemon.GetInstanceAsync("web1")).Status);

        var start = await _daemon.ActAsync("web1", "start");
        Assert.Equal(OperationStatus.Running, (await AfterASecondAsync(start)).Status);
        hold.Release.SetResult();

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(restore)).Status);
        var late = await _daemon.WaitAsync(start);
        Assert.Equal(OperationStatus.Failure, late.Status);
        Assert.Equal("cannot start instance \"web1\": it is Running", late.Error);
        Assert.Equal(2, Starts);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
    }

    [Fact]
    public async Task TwoRestoresAtOnce_RunOneAfterTheOther()
    {
        var firstHold = _engine.HoldOn("restore");
        var first = await RestoreAsync();
        await firstHold.Entered.Task.WaitAsync(Patience);

        var secondHold = _engine.HoldOn("restore");
        var second = await RestoreAsync();
        Assert.Equal(OperationStatus.Running, (await AfterASecondAsync(second)).Status);
        Assert.False(secondHold.Entered.Task.IsCompleted, "the second restore reached the engine while the first was under way");
        firstHold.Release.SetResult();
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(first)).Status);

        await secondHold.Entered.Task.WaitAsync(Patience);
        secondHold.Release.SetResult();
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(second)).Status);
        Assert.Equal(["web1/s", "web1/s"], _engine.Restored);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
    }

    [Fact]
    public async Task AnEphemeralInstanceThatStopsDuringASnapshot_GoesOnlyAfterIt()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("temp", "base", ", \"ephemeral\": true"))).Status);
        var hold = _engine.HoldOn("snapshot");
        var snapshot = await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/temp/snapshots", """{"name": "t"}""");
        await hold.Entered.Task.WaitAsync(Patience);

        _engine.StopByItself("temp");
        await Task.Delay(500);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.GetAsync("/1.0/instances/temp")).StatusCode);
        Assert.DoesNotContain("delete temp", _engine.Calls);
        hold.Release.SetResult();

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(snapshot)).Status);
        var gone = DateTime.UtcNow + Patience;
        while ((await _daemon.Http.GetAsync("/1.0/instances/temp")).StatusCode != HttpStatusCode.NotFound)
        {
            Assert.True(DateTime.UtcNow < gone, "the ephemeral instance stayed after its stop");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task AForcedStop_EndsAStartThatHangs()
    {
        await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"));
        var hold = _engine.HoldOn("start");
        var start = await _daemon.ActAsync("web1", "start");
        await hold.Entered.Task.WaitAsync(Patience);

        Assert.Equal(OperationStatus.Success, (await AfterASecondAsync(await _daemon.ActAsync("web1", "stop", force: true))).Status);

        hold.Release.SetResult();
        await _daemon.WaitAsync(start);
    }

    /// <summary>Holds the instance's lock with a snapshot of NAME, queues a start behind it, then REQUEST: checked at once against a stopped instance.</summary>
    private async Task<(HttpResponseMessage Start, HttpResponseMessage Queued)> BehindAStartAsync(string name, Func<Task<HttpResponseMessage>> request)
    {
        var hold = _engine.HoldOn("snapshot");
        var snapshot = await _daemon.SendJsonAsync(HttpMethod.Post, $"/1.0/instances/{name}/snapshots", """{"name": "held"}""");
        await hold.Entered.Task.WaitAsync(Patience);
        var start = await _daemon.ActAsync(name, "start");
        var queued = await request();
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        hold.Release.SetResult();
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(snapshot)).Status);
        return (start, queued);
    }

    [Fact]
    public async Task ADeleteWithoutForce_QueuedBehindAStart_DoesNotStopAndDeleteTheRunningInstance()
    {
        await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"));

        var (start, delete) = await BehindAStartAsync("web1", () => _daemon.SendJsonAsync(HttpMethod.Delete, "/1.0/instances/web1", ""));

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(start)).Status);
        var refused = await _daemon.WaitAsync(delete);
        Assert.Equal(OperationStatus.Failure, refused.Status);
        Assert.Equal("cannot delete instance \"web1\": it is Running (stop it first or use --force)", refused.Error);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
    }

    [Fact]
    public async Task ARestoreOfAnEphemeralInstance_QueuedBehindAStart_IsRefusedAndLeavesItRunning()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            """{"name": "temp", "source": {"alias": "base"}, "ephemeral": true}""")).StatusCode);
        await WaitUntilStoppedAsync("temp");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/temp/snapshots",
            """{"name": "t"}"""))).Status);

        var (start, restore) = await BehindAStartAsync("temp", () => _daemon.Http.PostAsync("/1.0/instances/temp/snapshots/t/restore", null));

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(start)).Status);
        var refused = await _daemon.WaitAsync(restore);
        Assert.Equal(OperationStatus.Failure, refused.Status);
        Assert.Equal("instance \"temp\" is ephemeral: stopping it for the restore would delete it", refused.Error);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("temp")).Status);
    }

    private async Task WaitUntilStoppedAsync(string name)
    {
        var until = DateTime.UtcNow + Patience;
        while ((await _daemon.GetInstanceAsync(name)) is not { Status: InstanceStatus.Stopped, StatusReason: null })
        {
            Assert.True(DateTime.UtcNow < until, $"{name} was not made");
            await Task.Delay(20);
        }
    }
}
