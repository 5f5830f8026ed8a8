using System.Net;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>POST /1.0/images/publish against a real daemon with a test engine.</summary>
public sealed class PublishApiTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new(InstanceType.Container);
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            """{"name": "web1", "source": {"alias": "base"}}"""))).Status);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private Task<HttpResponseMessage> PublishAsync(string json) => _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/images/publish", json);

    private async Task<List<Image>> ImagesAsync() =>
        JsonSerializer.Deserialize(await _daemon.Http.GetStringAsync("/1.0/images?recursion=1"), VesselJson.Wire.ListImage)!;

    [Fact]
    public async Task StoppedInstance_BecomesAnImage_ThatLaunchesNewInstances()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await PublishAsync("""{"source": "web1", "alias": "web-template"}"""))).Status);

        var image = (await ImagesAsync()).Single(i => i.Aliases.Contains("web-template"));
        Assert.Equal(("published from web1", InstanceType.Container), (image.Description, image.Type));
        Assert.Equal(["web1"], _engine.Published);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web2", "web-template"))).Status);
    }

    [Fact]
    public async Task Snapshot_IsPublished_EvenWhileTheInstanceRuns()
    {
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/web1/snapshots",
            """{"name": "gold"}"""))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "start"))).Status);

        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await PublishAsync("""{"source": "web1/GOLD", "description": "the gold one"}"""))).Status);

        Assert.Equal(["web1/gold"], _engine.Published);
        Assert.Contains(await ImagesAsync(), i => i.Description == "the gold one");
    }

    [Fact]
    public async Task RunningInstance_MissingSnapshot_BadAlias_AreRefusedAtOnce_AndMakeNoImage()
    {
        var before = (await ImagesAsync()).Count;
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "start"))).Status);

        Assert.Contains("stop it to publish it", await TestDaemon.ErrorAsync(await PublishAsync("""{"source": "web1"}"""), HttpStatusCode.Conflict));
        Assert.Contains("no snapshot \"nope\"", await TestDaemon.ErrorAsync(await PublishAsync("""{"source": "web1/nope"}"""), HttpStatusCode.NotFound));
        Assert.Contains("alias", await TestDaemon.ErrorAsync(await PublishAsync("""{"source": "web1", "alias": "bad alias"}"""), HttpStatusCode.BadRequest));
        Assert.Contains("source", await TestDaemon.ErrorAsync(await PublishAsync("{}"), HttpStatusCode.BadRequest));
        Assert.Contains("not found", await TestDaemon.ErrorAsync(await PublishAsync("""{"source": "ghost"}"""), HttpStatusCode.NotFound));

        Assert.Empty(_engine.Published);
        Assert.Equal(before, (await ImagesAsync()).Count);
    }

    [Fact]
    public async Task ATakenAlias_IsRefusedAtOnce_AsAnImportRefusesIt_AndStaysWhereItWas()
    {
        async Task<List<string>> AliasesAsync() => [.. (await ImagesAsync()).Select(i => $"{i.Fingerprint}: {string.Join(", ", i.Aliases)}")];
        var before = await AliasesAsync();
        const string expected = "image alias \"base\" already exists; delete it first or choose another";

        Assert.Equal(expected, await TestDaemon.ErrorAsync(await PublishAsync("""{"source": "web1", "alias": "base"}"""), HttpStatusCode.Conflict));
        Assert.Equal(expected, await TestDaemon.ErrorAsync(await _daemon.PostTarAsync("base"), HttpStatusCode.Conflict));

        Assert.Empty(_engine.Published);
        Assert.Equal(before, await AliasesAsync());
    }
}
