using System.Diagnostics;
using System.Net;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>Custom volumes through the API on the real dir pool: who may take a block volume, and how a delete fails.</summary>
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

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
