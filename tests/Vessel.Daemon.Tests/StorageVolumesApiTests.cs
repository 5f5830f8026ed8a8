using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Daemon.Networks;

namespace Vessel.Daemon.Tests;

/// <summary>Custom volumes through the API on the real dir pool: who may take a block volume, and how a volume's or pool's delete fails.</summary>
public sealed class StorageVolumesApiTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(new FakeDriver(), new FakeDriver(InstanceType.VirtualMachine));
        Assert.Equal(HttpStatusCode.Created,
            (await _daemon.Http.PostAsync("/1.0/images?alias=vmbase&type=virtual-machine", new ByteArrayContent(new byte[4096]))).StatusCode);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private async Task CreateVolumeAsync(string json)
    {
        var response = await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/storage-pools/default/volumes", json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<List<StorageVolumeView>> ListVolumesAsync() =>
        await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/storage-pools/default/volumes"), VesselJson.Wire.ListStorageVolumeView);

    [Fact]
    public async Task ConcurrentCreates_NamingOneBlockVolume_OnlyOneGetsIt()
    {
        await CreateVolumeAsync("""{"name": "blk", "content_type": "block", "config": {"size": "1MiB"}}""");

        const string request = """{"name": "NAME", "type": "virtual-machine", "source": {"alias": "vmbase"}, "devices": {"data": {"type": "disk", "pool": "default", "source": "blk"}}}""";
        // The lock of instance writes held meanwhile lines all six up at it, wherever each makes its checks.
        Task<HttpResponseMessage[]> sent;
        await using (await _daemon.Services.GetRequiredService<NetworkService>().LockAsync(CancellationToken.None))
        {
            sent = Task.WhenAll(Enumerable.Range(1, 6).Select(i =>
                _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", request.Replace("NAME", $"vm{i}", StringComparison.Ordinal))));
            await Task.Delay(1000);
        }
        var responses = await sent;

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Accepted))
            Assert.Contains("block volume \"blk\" is attached to instance vm", await TestDaemon.ErrorAsync(refused, HttpStatusCode.Conflict));
        await _daemon.WaitAsync(responses.Single(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Single(Assert.Single(await ListVolumesAsync()).UsedBy);
    }

    [Fact]
    public async Task CopyOfAVm_LeavesTheBlockVolumeItHoldsBehind()
    {
        await CreateVolumeAsync("""{"name": "blk", "content_type": "block", "config": {"size": "1MiB"}}""");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            """{"name": "vm1", "type": "virtual-machine", "source": {"alias": "vmbase"}, "devices": {"data": {"type": "disk", "pool": "default", "source": "blk"}}}"""))).Status);

        var copied = await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", """{"name": "vm2", "source": {"instance": "vm1"}}"""));

        Assert.Equal(OperationStatus.Success, copied.Status);
        Assert.False((await _daemon.GetInstanceAsync("vm2")).Devices.ContainsKey("data"));
        Assert.Equal(["/1.0/instances/vm1"], Assert.Single(await ListVolumesAsync()).UsedBy);
    }

    [Fact]
    public async Task DeletingAVolumeWhoseDataCannotGo_KeepsItListed_AndItCanBeDeletedAgain()
    {
        await CreateVolumeAsync("""{"name": "v"}""");
        var busy = Path.Combine(_daemon.Options.DefaultPoolSource, "custom", "v", "busy");
        Directory.CreateDirectory(busy);
        Run("mount", "-t", "tmpfs", "none", busy); // the pool refuses to delete through a mount
        try
        {
            var refused = await _daemon.Http.DeleteAsync("/1.0/storage-pools/default/volumes/custom/v");

            Assert.StartsWith("storage volume \"v\" is kept: deleting its data failed: volume \"v\" still has mounts under it",
                await TestDaemon.ErrorAsync(refused, HttpStatusCode.Conflict), StringComparison.Ordinal);
            Assert.Equal("v", Assert.Single(await ListVolumesAsync()).Volume.Name);
        }
        finally
        {
            Run("umount", busy);
        }
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync("/1.0/storage-pools/default/volumes/custom/v")).StatusCode);
        Assert.Empty(await ListVolumesAsync());
        Assert.False(Directory.Exists(Path.GetDirectoryName(busy)));
    }

    [Fact]
    public async Task AttachingUnderTheNameOfAnotherDevice_Answers409NamingIt_RunningOrStopped()
    {
        await _daemon.ImportTarAsync("base");
        Assert.Equal(HttpStatusCode.Created, (await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/networks", """{"name": "n1"}""")).StatusCode);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("c1", "base",
            """, "devices": {"eth0": {"type": "nic", "network": "n1"}, "root": {"type": "disk", "path": "/", "pool": "default"}}"""))).Status);
        await CreateVolumeAsync("""{"name": "eth0"}""");
        await CreateVolumeAsync("""{"name": "root"}""");
        // What vessel storage volume attach sends: the device is named after the volume unless a name is given.
        Task<HttpResponseMessage> AttachAsync(string volume, string device) => _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/c1",
            $$"""{"devices": {"{{device}}": {"type": "disk", "pool": "default", "source": "{{volume}}", "path": "/srv/{{volume}}"} } }""");

        Assert.Equal("devices.eth0: instance \"c1\" has a device named eth0 already (a nic); remove it first or use another device name",
            await TestDaemon.ErrorAsync(await AttachAsync("eth0", "eth0"), HttpStatusCode.Conflict));
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("c1", "stop"))).Status);
        Assert.Contains("has a device named root already (its root disk)", await TestDaemon.ErrorAsync(await AttachAsync("root", "root"), HttpStatusCode.Conflict));
        Assert.Equal(HttpStatusCode.OK, (await AttachAsync("eth0", "data")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AttachAsync("eth0", "data")).StatusCode); // the same again changes nothing
        Assert.Contains("has a device named data already (storage volume \"eth0\" of pool \"default\")",
            await TestDaemon.ErrorAsync(await AttachAsync("root", "data"), HttpStatusCode.Conflict));

        var devices = (await _daemon.GetInstanceAsync("c1")).Devices;
        Assert.Equal("nic", devices["eth0"]["type"]);
        Assert.Equal("/", devices["root"]["path"]);
        Assert.Equal("eth0", devices["data"]["source"]);
    }

    [Fact]
    public async Task DeletingAPoolWhoseStorageCannotGo_KeepsItListed_AndItCanBeDeletedAgain()
    {
        var source = Path.Combine(_daemon.Root, "p2");
        Assert.Equal(HttpStatusCode.Created, (await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/storage-pools",
            $$"""{"name": "p2", "driver": "dir", "source": "{{source}}"}""")).StatusCode);
        var stray = Path.Combine(source, "containers", "stray"); // not a volume, but its folder cannot go while it is there
        await File.WriteAllTextAsync(stray, "x");

        var refused = await _daemon.Http.DeleteAsync("/1.0/storage-pools/p2");

        Assert.StartsWith("storage pool \"p2\" is kept: deleting its storage failed: ", await TestDaemon.ErrorAsync(refused, HttpStatusCode.Conflict),
            StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.GetAsync("/1.0/storage-pools/p2")).StatusCode);
        File.Delete(stray);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync("/1.0/storage-pools/p2")).StatusCode);
        Assert.False(Directory.Exists(source));
        Assert.Equal(HttpStatusCode.Created, (await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/storage-pools",
            $$"""{"name": "p2", "driver": "dir", "source": "{{source}}"}""")).StatusCode);
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task OneVolume_ShowsWhatItOccupies_AndAListDoesNotMeasure()
    {
        await CreateVolumeAsync("""{"name": "data"}""");
        await CreateVolumeAsync("""{"name": "disk", "content_type": "block", "config": {"size": "64MiB"}}""");
        var directory = Directory.EnumerateDirectories(_daemon.Options.StateDirectory, "data", SearchOption.AllDirectories).Single();
        await File.WriteAllBytesAsync(Path.Combine(directory, "file"), new byte[3 << 20]);

        var data = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/storage-pools/default/volumes/custom/data"), VesselJson.Wire.StorageVolumeView);
        var disk = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/storage-pools/default/volumes/custom/disk"), VesselJson.Wire.StorageVolumeView);

        Assert.InRange(data.UsedBytes!.Value, 3 << 20, 4 << 20);
        Assert.InRange(disk.UsedBytes!.Value, 0, 1 << 20); // sparse: 64 MiB long, nothing written
        Assert.All(await ListVolumesAsync(), v => Assert.Null(v.UsedBytes));
    }
}
