using System.Text.Json;
using Vessel.Core.Api;

namespace Vessel.Daemon.Tests;

public sealed class EventsAndMetricsTests : IAsyncLifetime
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
    public async Task EventStream_CarriesLifecycleAndOperationEvents()
    {
        using var response = await _daemon.Http.GetAsync("/1.0/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal(": vessel events", await reader.ReadLineAsync());

        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        var seen = new List<Event>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!seen.Any(e => e.Action == "instance-started"))
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            if (line?.StartsWith("data: ", StringComparison.Ordinal) == true)
                seen.Add(JsonSerializer.Deserialize(line[6..], VesselJson.Wire.Event)!);
        }
        Assert.Contains(seen, e => e.Type == "lifecycle" && e.Action == "instance-created" && e.Source == "/1.0/instances/web1");
        Assert.Contains(seen, e => e.Type == "operation" && e.Operation?.Description == "Launching instance web1");
    }

    [Fact]
    public async Task EventStream_WithUnknownType_Answers400()
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/events?type=gossip"), System.Net.HttpStatusCode.BadRequest);
        Assert.Equal("type: \"gossip\" is not an event type (operation, lifecycle)", message);
    }

    [Fact]
    public async Task Metrics_AreInPrometheusTextWithInstanceUsage()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", """{"name": "idle", "source": {"alias": "base"}}"""));

        var text = await _daemon.Http.GetStringAsync("/1.0/metrics");

        Assert.Contains("# TYPE vessel_daemon_uptime_seconds gauge\n", text);
        Assert.Contains("vessel_instances{type=\"container\",status=\"Running\"} 1\n", text);
        Assert.Contains("vessel_images 1\n", text);
        Assert.Contains("vessel_instance_cpu_seconds_total{name=\"web1\",type=\"container\"} 1.5\n", text);
        Assert.Contains("vessel_instance_processes{name=\"web1\",type=\"container\"} 3\n", text);
        Assert.Contains($"vessel_instance_disk_bytes{{name=\"web1\",type=\"container\"}} {FakeDriver.DiskBytes}\n", text);
        Assert.Contains($"vessel_instance_disk_bytes{{name=\"idle\",type=\"container\"}} {FakeDriver.DiskBytes}\n", text);
        Assert.DoesNotContain("vessel_instance_processes{name=\"idle\"", text);
        Assert.Matches("vessel_storage_pool_size_bytes\\{pool=\"default\"\\} [1-9][0-9]*\n", text);
        Assert.Matches("vessel_api_requests_total\\{code=\"2xx\"\\} [1-9][0-9]*\n", text);
    }

    [Fact]
    public async Task Metrics_LeaveOutADiskUsageThatCannotBeRead_AndGiveTheRest()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web2", "base"));
        _engine.FailOn = "disk web1";

        var text = await _daemon.Http.GetStringAsync("/1.0/metrics");

        Assert.Contains("vessel_instances{type=\"container\",status=\"Running\"} 2\n", text);
        Assert.DoesNotContain("vessel_instance_disk_bytes{name=\"web1\"", text);
        Assert.Contains($"vessel_instance_disk_bytes{{name=\"web2\",type=\"container\"}} {FakeDriver.DiskBytes}\n", text);
        Assert.Contains("vessel_instance_memory_bytes{name=\"web1\"", text); // the rest of web1's state still stands
    }

    [Fact]
    public async Task ServerInfo_ReportsEnginesAndAcceleration()
    {
        var info = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0"), VesselJson.Wire.ServerInfo);

        Assert.Equal("1.0", info.ApiVersion);
        Assert.Contains(info.Engines, e => e.Type == "container" && e.Operational && e.Name == "fake");
        Assert.Contains(info.Engines, e => e.Type == "virtual-machine" && !e.Operational && e.Detail.Contains("runs without a VM engine", StringComparison.Ordinal));
        Assert.False(string.IsNullOrEmpty(info.VmAcceleration));
    }
}
