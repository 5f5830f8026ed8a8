using System.Net;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>/1.0/instances/{name}/snapshots against a real daemon with a test engine.</summary>
public sealed class SnapshotsApiTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new(InstanceType.Container);
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"))).Status);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private Task<HttpResponseMessage> SnapshotAsync(string instance, string json = "{}") =>
        _daemon.SendJsonAsync(HttpMethod.Post, $"/1.0/instances/{instance}/snapshots", json);

    private async Task<List<Snapshot>> ListAsync(string instance) =>
        JsonSerializer.Deserialize(await _daemon.Http.GetStringAsync($"/1.0/instances/{instance}/snapshots"), VesselJson.Wire.ListSnapshot)!;

    [Fact]
    public async Task Create_WithoutAName_TakesSnap0ThenSnap1()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await SnapshotAsync("web1"))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await SnapshotAsync("web1"))).Status);

        Assert.Equal(["snap0", "snap1"], (await ListAsync("web1")).Select(s => s.Name));
        Assert.Equal(["web1/snap0", "web1/snap1"], _engine.Snapshots);
    }

    [Fact]
    public async Task Create_WithATakenName_Answers409_AndKeepsTheFirst()
    {
        await _daemon.WaitAsync(await SnapshotAsync("web1", """{"name": "before", "description": "first"}"""));

        var message = await TestDaemon.ErrorAsync(await SnapshotAsync("web1", """{"name": "BEFORE"}"""), HttpStatusCode.Conflict);

        Assert.Equal("instance \"web1\" already has a snapshot named \"BEFORE\"", message);
        Assert.Equal("first", Assert.Single(await ListAsync("web1")).Description);
    }

    [Theory]
    [InlineData("""{"name": "no/slash"}""", "name: \"no/slash\" may hold only letters, digits and dashes, not '/'")]
    [InlineData("""{"name": "9lives"}""", "name: \"9lives\" must start with a letter")]
    public async Task Create_WithABadName_Answers400(string json, string expected) =>
        Assert.Equal(expected, await TestDaemon.ErrorAsync(await SnapshotAsync("web1", json), HttpStatusCode.BadRequest));

    [Fact]
    public async Task StatefulRestore_IntoOtherVcpusOrDevices_Answers409NamingThem_AndLoadsOnceTheyAreBack()
    {
        _engine.StateDevices = ["cpus=1", "device=balloon0"];
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await SnapshotAsync("web1", """{"name": "live", "stateful": true}"""))).Status);
        Assert.Equal(["cpus=1", "device=balloon0"], Assert.Single(await ListAsync("web1")).StateDevices);

        _engine.StateDevices = ["cpus=2", "device=balloon0", "device=disk-vol1"];
        var message = await TestDaemon.ErrorAsync(await _daemon.Http.PostAsync("/1.0/instances/web1/snapshots/live/restore", null), HttpStatusCode.Conflict);
        Assert.Equal("snapshot \"live\" holds the memory of web1 with the vCPUs and devices it had then, which differ (cpus=1 then and cpus=2, " +
            "device=disk-vol1 now): put limits.cpu, volumes and nics back as they were, or restore a snapshot without memory", message);
        Assert.Empty(_engine.Restored);

        _engine.StateDevices = ["cpus=1", "device=balloon0"];
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.Http.PostAsync("/1.0/instances/web1/snapshots/live/restore", null))).Status);
        Assert.Equal(["web1/live"], _engine.Restored);
    }

    [Fact]
    public async Task SnapshotsOfAMissingInstance_Answer404() =>
        Assert.Equal("instance \"nobody\" not found", await TestDaemon.ErrorAsync(await SnapshotAsync("nobody"), HttpStatusCode.NotFound));

    [Fact]
    public async Task Restore_OfAnotherInstancesSnapshot_Answers404_AndChangesNothing()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web2", "base"))).Status);
        await _daemon.WaitAsync(await SnapshotAsync("web2", """{"name": "only-web2"}"""));

        var message = await TestDaemon.ErrorAsync(await _daemon.Http.PostAsync("/1.0/instances/web1/snapshots/only-web2/restore", null), HttpStatusCode.NotFound);

        Assert.Equal("instance \"web1\" has no snapshot \"only-web2\"", message);
        Assert.Empty(_engine.Restored);
    }

    [Fact]
    public async Task Restore_OfARunningInstance_StopsRestoresAndStartsIt()
    {
        await _daemon.WaitAsync(await SnapshotAsync("web1", """{"name": "s"}"""));

        var restore = await _daemon.WaitAsync(await _daemon.Http.PostAsync("/1.0/instances/web1/snapshots/s/restore", null));

        Assert.Equal(OperationStatus.Success, restore.Status);
        Assert.Equal(["web1/s"], _engine.Restored);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
    }

    [Fact]
    public async Task Delete_RemovesTheSnapshot_AndDeletingTheInstanceRemovesTheRest()
    {
        await _daemon.WaitAsync(await SnapshotAsync("web1", """{"name": "a"}"""));
        await _daemon.WaitAsync(await SnapshotAsync("web1", """{"name": "b"}"""));

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.Http.DeleteAsync("/1.0/instances/web1/snapshots/a"))).Status);
        Assert.Equal(["b"], (await ListAsync("web1")).Select(s => s.Name));
        Assert.Equal(HttpStatusCode.NotFound, (await _daemon.Http.DeleteAsync("/1.0/instances/web1/snapshots/a")).StatusCode);

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.Http.DeleteAsync("/1.0/instances/web1?force=1"))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"))).Status);
        Assert.Empty(await ListAsync("web1"));
    }

    [Fact]
    public async Task Restore_OfARunningEphemeralInstance_Answers409_AndKeepsIt()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("temp", "base", """, "ephemeral": true"""))).Status);
        await _daemon.WaitAsync(await SnapshotAsync("temp", """{"name": "s"}"""));

        var message = await TestDaemon.ErrorAsync(await _daemon.Http.PostAsync("/1.0/instances/temp/snapshots/s/restore", null), HttpStatusCode.Conflict);

        Assert.Equal("instance \"temp\" is ephemeral: stopping it for the restore would delete it", message);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("temp")).Status);
    }

    [Fact]
    public async Task Unsetting_AVolatileKey_Answers400()
    {
        var response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"config": {"volatile.eth0.hwaddr": null}}""");

        Assert.Equal("volatile.eth0.hwaddr: volatile.* keys are set by Vessel itself and cannot be unset",
            await TestDaemon.ErrorAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Create_WhatTheEngineCannotDo_IsRefusedAtOnce_AndReservesNoName()
    {
        _engine.SnapshotRefusal = new Vessel.Core.NotSupportedYetException("stateful snapshots of containers need checkpointing (CRIU), which is not supported yet");

        var refused = await SnapshotAsync("web1", """{"name": "live", "stateful": true}""");

        Assert.Contains("CRIU", await TestDaemon.ErrorAsync(refused, (HttpStatusCode)501));
        Assert.Empty(await ListAsync("web1"));
        _engine.SnapshotRefusal = null;
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await SnapshotAsync("web1", """{"name": "live"}"""))).Status);
    }
}
