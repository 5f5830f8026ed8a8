using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.State.Tests;

public sealed class InstanceTests : IDisposable
{
    private readonly TempStore _db = new();

    public void Dispose() => _db.Dispose();

    private SqliteStateStore Store => _db.Store;

    [Fact]
    public async Task Create_ThenGet_RoundTripsEveryField()
    {
        await _db.AddPoolAsync();
        await Store.CreateNetworkAsync(new Network { Name = "br0", CreatedAt = TempStore.Epoch });
        var fingerprint = TempStore.Fingerprint('a');
        await Store.CreateImageAsync(TempStore.Image(fingerprint, InstanceType.VirtualMachine));
        var created = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.FromHours(2));
        var before = new Instance
        {
            Name = "vm1",
            Type = InstanceType.VirtualMachine,
            Status = InstanceStatus.Error,
            StatusReason = "qemu exited with code 1",
            Architecture = "aarch64",
            Config = new Dictionary<string, string> { ["limits.cpu"] = "2", ["user.note"] = "say \"hi\" ✓" },
            Devices = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["root"] = new Dictionary<string, string> { ["type"] = "disk", ["path"] = "/", ["pool"] = "default" },
                ["eth0"] = new Dictionary<string, string> { ["type"] = "nic", ["network"] = "br0" },
            },
            Image = fingerprint,
            Pool = "default",
            Ephemeral = true,
            CreatedAt = created,
            StatusChangedAt = created.AddSeconds(5),
        };

        await Store.CreateInstanceAsync(before);
        var after = await Store.GetInstanceAsync("vm1");

        Assert.NotNull(after);
        Assert.Equal(before with { Config = after.Config, Devices = after.Devices }, after);
        Assert.Equal(before.Config, after.Config);
        Assert.Equal(before.Devices.Keys.Order(), after.Devices.Keys.Order());
        Assert.Equal(before.Devices["root"], after.Devices["root"]);
        Assert.Equal(before.Devices["eth0"], after.Devices["eth0"]);
    }

    [Fact]
    public async Task Get_Unknown_IsNull()
    {
        Assert.Null(await Store.GetInstanceAsync("nope"));
        Assert.Empty(await Store.ListInstancesAsync());
    }

    [Fact]
    public async Task Get_IgnoresCase()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("Web1"));

        Assert.Equal("Web1", (await Store.GetInstanceAsync("WEB1"))?.Name);
    }

    [Fact]
    public async Task List_IsOrderedByName()
    {
        await _db.AddPoolAsync();
        foreach (var name in new[] { "c", "a", "B" })
            await Store.CreateInstanceAsync(TempStore.Instance(name));

        Assert.Equal(["a", "B", "c"], (await Store.ListInstancesAsync()).Select(i => i.Name));
    }

    [Fact]
    public async Task Create_DuplicateName_IsConflict()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.CreateInstanceAsync(TempStore.Instance("web1")));

        Assert.Equal("instance \"web1\" already exists", e.Message);
    }

    [Fact]
    public async Task Create_NameDifferingOnlyInCase_IsConflict()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        var e = await Assert.ThrowsAsync<ConflictException>(() => Store.CreateInstanceAsync(TempStore.Instance("WEB1")));

        Assert.Contains("WEB1", e.Message, StringComparison.Ordinal);
        Assert.Single(await Store.ListInstancesAsync());
    }

    [Fact]
    public async Task Create_InAMissingPool_IsNotFound()
    {
        await _db.AddPoolAsync();

        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.CreateInstanceAsync(TempStore.Instance("web1", pool: "fast")));

        Assert.Equal("storage pool \"fast\" not found", e.Message);
        Assert.Empty(await Store.ListInstancesAsync());
    }

    [Fact]
    public async Task Create_WithAMissingImage_IsNotFound_NotANameConflict()
    {
        await _db.AddPoolAsync();
        var fingerprint = TempStore.Fingerprint('b');

        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.CreateInstanceAsync(TempStore.Instance("web1", image: fingerprint)));

        Assert.Contains(fingerprint[..12], e.Message, StringComparison.Ordinal);
        Assert.Empty(await Store.ListInstancesAsync());
    }

    [Fact]
    public async Task UpdateConfig_ReplacesConfigAndDevices()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1") with
        {
            Config = new Dictionary<string, string> { ["limits.cpu"] = "1", ["user.old"] = "x" },
        });
        var config = new Dictionary<string, string> { ["limits.cpu"] = "2" };
        var devices = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["data"] = new Dictionary<string, string> { ["type"] = "disk", ["path"] = "/srv", ["source"] = "/tank" },
        };

        await Store.UpdateInstanceConfigAsync("web1", config, devices);
        var after = (await Store.GetInstanceAsync("web1"))!;

        Assert.Equal(config, after.Config);
        Assert.Equal(devices["data"], Assert.Single(after.Devices).Value);
    }

    [Fact]
    public async Task UpdateConfig_Unknown_IsNotFound() =>
        await Assert.ThrowsAsync<NotFoundException>(() => Store.UpdateInstanceConfigAsync("nope",
            new Dictionary<string, string>(), new Dictionary<string, IReadOnlyDictionary<string, string>>()));

    [Fact]
    public async Task TryTransition_FromTheCurrentStatus_MovesAndRecordsTheReason()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        Assert.True(await Store.TryTransitionAsync("web1", InstanceStatus.Stopped, InstanceStatus.Starting, "starting up"));
        var after = (await Store.GetInstanceAsync("web1"))!;

        Assert.Equal(InstanceStatus.Starting, after.Status);
        Assert.Equal("starting up", after.StatusReason);
        Assert.True(after.StatusChangedAt > TempStore.Epoch);
    }

    [Fact]
    public async Task TryTransition_FromAnotherStatus_ChangesNothing()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1") with { StatusReason = "kept" });

        Assert.False(await Store.TryTransitionAsync("web1", InstanceStatus.Running, InstanceStatus.Stopping, "stopping"));
        var after = (await Store.GetInstanceAsync("web1"))!;

        Assert.Equal(InstanceStatus.Stopped, after.Status);
        Assert.Equal("kept", after.StatusReason);
        Assert.Equal(TempStore.Epoch, after.StatusChangedAt);
    }

    [Fact]
    public async Task TryTransition_Unknown_IsFalse() =>
        Assert.False(await Store.TryTransitionAsync("nope", InstanceStatus.Stopped, InstanceStatus.Starting, null));

    [Fact]
    public async Task TryTransition_TwiceFromTheSameStatus_OnlyTheFirstWins()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        Assert.True(await Store.TryTransitionAsync("web1", InstanceStatus.Stopped, InstanceStatus.Starting, null));
        Assert.False(await Store.TryTransitionAsync("web1", InstanceStatus.Stopped, InstanceStatus.Starting, null));
    }

    [Fact]
    public async Task SetStatus_SetsWhateverTheStatusWas()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        await Store.SetStatusAsync("web1", InstanceStatus.Error, "engine died");
        await Store.SetStatusAsync("web1", InstanceStatus.Running, null);
        var after = (await Store.GetInstanceAsync("web1"))!;

        Assert.Equal(InstanceStatus.Running, after.Status);
        Assert.Null(after.StatusReason);
    }

    [Fact]
    public async Task SetStatus_Unknown_IsNotFound() =>
        await Assert.ThrowsAsync<NotFoundException>(() => Store.SetStatusAsync("nope", InstanceStatus.Running, null));

    [Fact]
    public async Task Delete_RemovesTheInstance()
    {
        await _db.AddPoolAsync();
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));

        await Store.DeleteInstanceAsync("WEB1");

        Assert.Null(await Store.GetInstanceAsync("web1"));
        await Store.CreateInstanceAsync(TempStore.Instance("web1"));
    }

    [Fact]
    public async Task Delete_Unknown_IsNotFound()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.DeleteInstanceAsync("nope"));

        Assert.Equal("instance \"nope\" not found", e.Message);
    }
}
