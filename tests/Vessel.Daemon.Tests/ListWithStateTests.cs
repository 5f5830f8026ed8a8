using System.Net;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>What the web UI's dashboard and instance list read in one request each.</summary>
public sealed class ListWithStateTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new(InstanceType.Container);
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [Fact]
    public async Task RecursionTwo_GivesEachInstanceWithItsState()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("up", "base"))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            """{"name": "down", "source": {"alias": "base"}}"""))).Status);

        var list = JsonSerializer.Deserialize(await _daemon.Http.GetStringAsync("/1.0/instances?recursion=2"), VesselJson.Wire.ListInstanceWithState)!;

        Assert.Equal(["down", "up"], list.Select(i => i.Instance.Name).Order(StringComparer.Ordinal));
        Assert.Equal(InstanceStatus.Running, list.Single(i => i.Instance.Name == "up").State.Status);
        Assert.Equal(InstanceStatus.Stopped, list.Single(i => i.Instance.Name == "down").State.Status);
        Assert.Null(list.Single(i => i.Instance.Name == "down").State.Usage);
        Assert.Null(list.Single(i => i.Instance.Name == "up").State.Usage?.DiskBytes);
        Assert.DoesNotContain(_engine.Calls, c => c.StartsWith("disk ", StringComparison.Ordinal)); // a list walks no trees
    }

    [Fact]
    public async Task Resources_GivesTheHostsLoadAndMemory()
    {
        var response = await _daemon.Http.GetAsync("/1.0/resources");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var resources = await TestDaemon.ReadAsync(response, VesselJson.Wire.ResourcesView);
        Assert.Equal(Environment.ProcessorCount, resources.Cpus);
        Assert.Equal(3, resources.LoadAverage.Length);
        Assert.InRange(resources.MemoryAvailableBytes, 1, resources.MemoryTotalBytes);
    }
}
