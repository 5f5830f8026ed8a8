using System.Net;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

public sealed class InstanceLifecycleTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new();
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [Fact]
    public async Task Launch_CreatesVolumeAndRuns()
    {
        var operation = await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        Assert.Equal(OperationStatus.Success, operation.Status);
        var instance = await _daemon.GetInstanceAsync("web1");
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Null(instance.StatusReason);
        Assert.True(File.Exists(Path.Combine(_daemon.Options.DefaultPoolSource, "containers", "web1", "made-by-fake")));
        Assert.Equal(["create web1", "start web1"], _engine.Calls);
    }

    [Fact]
    public async Task StopFreezeUnfreezeRestart_FollowTheStateMachine()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "freeze"))).Status);
        Assert.Equal(InstanceStatus.Frozen, (await _daemon.GetInstanceAsync("web1")).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "unfreeze"))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "restart"))).Status);
        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"))).Status);
        Assert.Equal(InstanceStatus.Stopped, (await _daemon.GetInstanceAsync("web1")).Status);
    }

    [Fact]
    public async Task StartWhileRunning_Answers409WithTheState()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        var message = await TestDaemon.ErrorAsync(await _daemon.ActAsync("web1", "start"), HttpStatusCode.Conflict);

        Assert.Equal("cannot start instance \"web1\": it is Running", message);
    }

    [Fact]
    public async Task ActionDuringAnother_Answers409()
    {
        var hold = _engine.HoldOn("start");
        var launch = await _daemon.LaunchAsync("web1", "base");
        while ((await _daemon.GetInstanceAsync("web1")).Status != InstanceStatus.Starting)
            await Task.Delay(10);

        var message = await TestDaemon.ErrorAsync(await _daemon.ActAsync("web1", "stop"), HttpStatusCode.Conflict);
        hold.Release.SetResult();

        Assert.Contains("it is Starting", message);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(launch)).Status);
    }

    [Fact]
    public async Task FailedStart_SettlesInWhatRunsWithTheReason()
    {
        _engine.FailOn = "start";

        var operation = await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        Assert.Equal(OperationStatus.Failure, operation.Status);
        Assert.Equal("fake start failure", operation.Error);
        var instance = await _daemon.GetInstanceAsync("web1");
        Assert.Equal(InstanceStatus.Stopped, instance.Status);
        Assert.Equal("start failed: fake start failure", instance.StatusReason);
    }

    [Fact]
    public async Task FailedCreate_LeavesNothingBehind()
    {
        _engine.FailOn = "create";

        var operation = await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        Assert.Equal(OperationStatus.Failure, operation.Status);
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/web1"), HttpStatusCode.NotFound);
        Assert.False(Directory.Exists(Path.Combine(_daemon.Options.DefaultPoolSource, "containers", "web1")));
        Assert.Contains("delete web1", _engine.Calls);
    }

    [Fact]
    public async Task DeleteRunning_NeedsForce_ThenRemovesEverything()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        var message = await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync("/1.0/instances/web1"), HttpStatusCode.Conflict);
        Assert.Contains("use --force", message);

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.Http.DeleteAsync("/1.0/instances/web1?force=1"))).Status);
        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/web1"), HttpStatusCode.NotFound);
        Assert.False(Directory.Exists(Path.Combine(_daemon.Options.DefaultPoolSource, "containers", "web1")));
        Assert.Equal(["create web1", "start web1", "kill web1", "delete web1"], _engine.Calls);
    }

    [Fact]
    public async Task EphemeralInstance_IsGoneWhenStopped()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("temp1", "base", ", \"ephemeral\": true"));

        await _daemon.WaitAsync(await _daemon.ActAsync("temp1", "stop"));

        await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/temp1"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task InstanceThatStopsByItself_IsMarkedStoppedWithTheReason()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        _engine.StopByItself("web1");

        for (var i = 0; i < 200 && (await _daemon.GetInstanceAsync("web1")).Status != InstanceStatus.Stopped; i++)
            await Task.Delay(10);
        var instance = await _daemon.GetInstanceAsync("web1");
        Assert.Equal(InstanceStatus.Stopped, instance.Status);
        Assert.Equal("init exited with code 0", instance.StatusReason);
    }

    [Fact]
    public async Task PatchConfig_OnRunningInstance_AppliesLiveAndPersists()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base", ", \"config\": {\"limits.cpu\": \"1\"}"));

        var response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1",
            """{"config": {"limits.memory": "256MiB", "limits.cpu": null}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("apply web1", _engine.Calls);
        var config = (await _daemon.GetInstanceAsync("web1")).Config;
        Assert.Equal("256MiB", config["limits.memory"]);
        Assert.False(config.ContainsKey("limits.cpu"));
    }

    [Fact]
    public async Task PatchConfig_RefusedByEngine_KeepsTheOldConfig()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        _engine.FailOn = "apply";

        var response = await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"config": {"limits.memory": "256MiB"}}""");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False((await _daemon.GetInstanceAsync("web1")).Config.ContainsKey("limits.memory"));
    }

    [Fact]
    public async Task State_ShowsTheEngineUsage()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        var state = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/instances/web1/state"), VesselJson.Wire.InstanceStateView);

        Assert.Equal(InstanceStatus.Running, state.Status);
        Assert.Equal(4242, state.Pid);
        Assert.Equal(1.5, state.Usage?.CpuSeconds);
        Assert.Equal(FakeDriver.DiskBytes, state.Usage?.DiskBytes);
    }

    [Fact]
    public async Task State_OfAStoppedInstance_ShowsItsDiskUsageAlone()
    {
        await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", """{"name": "web1", "source": {"alias": "base"}}"""));

        var state = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/instances/web1/state"), VesselJson.Wire.InstanceStateView);

        Assert.Equal(InstanceStatus.Stopped, state.Status);
        Assert.Equal(new InstanceUsage { DiskBytes = FakeDriver.DiskBytes }, state.Usage);
    }

    [Fact]
    public async Task List_WithoutRecursion_GivesPaths_WithRecursion_GivesInstances()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("b", "base"));
        await _daemon.WaitAsync(await _daemon.LaunchAsync("a", "base"));

        var paths = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/instances"), VesselJson.Wire.ListString);
        var instances = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/instances?recursion=1"), VesselJson.Wire.ListInstance);

        Assert.Equal(["/1.0/instances/a", "/1.0/instances/b"], paths);
        Assert.Equal(["a", "b"], instances.Select(i => i.Name));
    }
}
