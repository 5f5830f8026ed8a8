using System.Net;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>POST /1.0/instances with a source instance: vessel copy.</summary>
public sealed class CopyApiTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new(InstanceType.Container);
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
        Assert.Equal(HttpStatusCode.Created,
            (await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/networks", """{"name": "n1", "config": {"ipv4.address": "10.50.0.1/24"}}""")).StatusCode);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base",
            """, "network": "n1", "config": {"limits.memory": "256MiB"} """))).Status);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private Task<HttpResponseMessage> CopyAsync(string json) => _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", json);

    [Fact]
    public async Task Copy_KeepsConfigAndNics_ButGetsItsOwnMacAddressAndUuid_AndStaysStopped()
    {
        var operation = await _daemon.WaitAsync(await CopyAsync("""{"name": "web2", "source": {"instance": "web1"}}"""));

        Assert.Equal(OperationStatus.Success, operation.Status);
        var original = await _daemon.GetInstanceAsync("web1");
        var copy = await _daemon.GetInstanceAsync("web2");
        Assert.Equal(["web1 -> web2"], _engine.Copies);
        Assert.Equal(InstanceStatus.Stopped, copy.Status);
        Assert.Equal("256MiB", copy.Config["limits.memory"]);
        Assert.Equal("n1", copy.Devices["eth0"]["network"]);
        Assert.NotEqual(original.Config["volatile.eth0.hwaddr"], copy.Config["volatile.eth0.hwaddr"]);
        Assert.Equal("10.50.0.3", copy.Config["volatile.eth0.ipv4.address"]);
        Assert.NotEqual(InstanceIdentity.Of(original.Config)!.Value, InstanceIdentity.Of(copy.Config)!.Value);
        Assert.Equal(original.Image, copy.Image);
    }

    [Fact]
    public async Task Copy_OfASnapshot_NamesIt_AndAMissingSnapshotOrSourceAnswers404()
    {
        await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/web1/snapshots", """{"name": "s1"}"""));

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await CopyAsync("""{"name": "web3", "source": {"instance": "web1", "snapshot": "s1"}}"""))).Status);
        Assert.Equal(["web1/s1 -> web3"], _engine.Copies);

        Assert.Equal("instance \"web1\" has no snapshot \"nope\"", await TestDaemon.ErrorAsync(
            await CopyAsync("""{"name": "web4", "source": {"instance": "web1", "snapshot": "nope"}}"""), HttpStatusCode.NotFound));
        Assert.Equal("instance \"ghost\" not found", await TestDaemon.ErrorAsync(
            await CopyAsync("""{"name": "web4", "source": {"instance": "ghost"}}"""), HttpStatusCode.NotFound));
        Assert.Equal("instance \"web1\" already exists", await TestDaemon.ErrorAsync(
            await CopyAsync("""{"name": "web1", "source": {"instance": "web3"}}"""), HttpStatusCode.Conflict));
    }
}
