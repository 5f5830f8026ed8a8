using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.State;

namespace Vessel.Daemon.Tests;

/// <summary>On start the daemon believes the engines about what runs, and undoes creations a crash cut short.</summary>
public sealed class ReconcileTests : IAsyncLifetime
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
    public async Task Restart_AdoptsRunningInstancesAndCorrectsStaleStatus()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web2", "base"));
        _engine.Actual["web2"] = InstanceStatus.Stopped; // it died while the daemon was away

        await _daemon.RestartAsync(_engine);

        Assert.Equal(InstanceStatus.Running, (await _daemon.GetInstanceAsync("web1")).Status);
        Assert.Equal(InstanceStatus.Stopped, (await _daemon.GetInstanceAsync("web2")).Status);
    }

    [Fact]
    public async Task Restart_RemovesAnInstanceWhoseCreationWasInterrupted()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        await _daemon.RestartAsync(); // stop the daemon; no engine while we fake the crash below
        var volume = Path.Combine(_daemon.Options.DefaultPoolSource, "containers", "half");
        Directory.CreateDirectory(volume);
        using (IStateStore store = new SqliteStateStore(_daemon.Options.DatabasePath))
        {
            var web1 = (await store.GetInstanceAsync("web1"))!;
            await store.CreateInstanceAsync(web1 with { Name = "half", Status = InstanceStatus.Stopped, StatusReason = "creating" });
        }

        await _daemon.RestartAsync(_engine);

        Assert.Equal(["/1.0/instances/web1"],
            await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/instances"), Vessel.Core.Api.VesselJson.Wire.ListString));
        Assert.False(Directory.Exists(volume));
    }

    [Fact]
    public async Task Restart_StartsInstancesWithBootAutostart()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("auto", "base", ", \"config\": {\"boot.autostart\": \"true\"}"));
        await _daemon.WaitAsync(await _daemon.LaunchAsync("manual", "base"));
        _engine.Actual["auto"] = InstanceStatus.Stopped;
        _engine.Actual["manual"] = InstanceStatus.Stopped;

        await _daemon.RestartAsync(_engine);

        await WaitForStatusAsync("auto", InstanceStatus.Running);
        Assert.Equal(InstanceStatus.Stopped, (await _daemon.GetInstanceAsync("manual")).Status);
    }

    [Fact]
    public async Task RestartAfterAHostReboot_StartsWhatRanBefore_UnlessAutostartIsFalse()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("ran", "base"));
        await _daemon.WaitAsync(await _daemon.LaunchAsync("never", "base", ", \"config\": {\"boot.autostart\": \"false\"}"));
        using (IStateStore store = new SqliteStateStore(_daemon.Options.DatabasePath))
            await store.SetSettingAsync(DaemonHost.BootIdSetting, "a-boot-before-this-one");
        _engine.Actual.Clear(); // the reboot took every instance down

        await _daemon.RestartAsync(_engine);

        await WaitForStatusAsync("ran", InstanceStatus.Running);
        Assert.Equal(InstanceStatus.Stopped, (await _daemon.GetInstanceAsync("never")).Status);
    }

    private async Task WaitForStatusAsync(string name, InstanceStatus status)
    {
        for (var i = 0; i < 200 && (await _daemon.GetInstanceAsync(name)).Status != status; i++)
            await Task.Delay(25);
        Assert.Equal(status, (await _daemon.GetInstanceAsync(name)).Status);
    }

    [Fact]
    public async Task Restart_WithoutTheEngine_MarksItsInstancesError()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        await _daemon.RestartAsync();

        var instance = await _daemon.GetInstanceAsync("web1");
        Assert.Equal(InstanceStatus.Error, instance.Status);
        Assert.Contains("runs without a container engine", instance.StatusReason);
    }
}
