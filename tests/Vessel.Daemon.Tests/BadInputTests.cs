using System.Net;

namespace Vessel.Daemon.Tests;

/// <summary>Every bad input gets a 4xx in the one error shape, naming the field and the rule, and nothing is made.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(new FakeDriver());
        await _daemon.ImportTarAsync("base");
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    [Theory]
    [InlineData("""{"name": "9lives", "source": {"alias": "base"}}""", "name: \"9lives\" must start with a letter")]
    [InlineData("""{"name": "web_1", "source": {"alias": "base"}}""", "name: \"web_1\" may hold only letters, digits and dashes, not '_'")]
    [InlineData("""{"name": "web-", "source": {"alias": "base"}}""", "name: \"web-\" must not end with a dash")]
    [InlineData("""{"source": {"alias": "base"}}""", "name: a name is required")]
    [InlineData("""{"name": "web1"}""", "source: an image alias or fingerprint is required")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "config": {"limits.memory": "12XB"}}""",
        "limits.memory: \"12XB\" is not a size; use a whole number with a unit such as 512MiB, 1GiB or 2GB")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "config": {"limits.processes": "0"}}""",
        "limits.processes: 0 is out of range; allowed is 1 to 4194304")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "config": {"limits.cpu": "999"}}""", "limits.cpu: 999 is out of range")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "config": {"limits.cpus": "1"}}""", "limits.cpus: unknown config key")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "config": {"volatile.x": "1"}}""", "volatile.x: volatile.* keys are set by Vessel itself")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "devices": {"eth0": {"type": "usb"}}}""", "devices.eth0.type: must be one of disk, nic")]
    [InlineData("""{"name": "web1", "source": {"alias": "base"}, "typo": 1}""", "invalid JSON body: unknown field \"typo\"")]
    [InlineData("""{"name": "web1", "type": "jail", "source": {"alias": "base"}}""", "invalid JSON body: type: not a valid value")]
    [InlineData("""{"name": 5}""", "invalid JSON body: name: not a valid value")]
    [InlineData("""{not json""", "invalid JSON body")]
    [InlineData("", "a JSON body is required")]
    public async Task Create_WithBadInput_Answers400NamingTheProblem(string body, string expected)
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", body), HttpStatusCode.BadRequest);

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/instances"));
    }

    /// <summary>A kernel image's upload that is cut short, or holds a part of another name or none of the initramfs, is a 400; nothing is kept.</summary>
    [Theory]
    [InlineData("cut", "the upload's part \"kernel\" is cut short")]
    [InlineData("boundary", "the upload is no whole multipart/form-data body")]
    [InlineData("name", "the upload has a part \"vmlinux\"; a kernel image is uploaded as the parts kernel, initrd, disk (disk optional)")]
    [InlineData("missing", "the upload has no part \"initrd\"; a kernel image needs a kernel and an initramfs")]
    public async Task ImportOfAKernelPair_WithABadUpload_Answers400(string fault, string expected)
    {
        var name = fault == "name" ? "vmlinux" : "kernel";
        var body = $"--b\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"k\"\r\n\r\n{new string('k', 4096)}\r\n--b--\r\n";
        if (fault == "cut")
            body = body[..2000];
        var content = new StringContent(body);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(fault == "boundary" ? "multipart/form-data; boundary=other" : "multipart/form-data; boundary=b");

        var response = await _daemon.Http.PostAsync("/1.0/images?type=virtual-machine", content);

        Assert.StartsWith(expected, await TestDaemon.ErrorAsync(response, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_daemon.Options.StateDirectory, "images", ".staging")));
    }

    [Fact]
    public async Task Create_FromUnknownImage_Answers404()
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web1", "nope"), HttpStatusCode.NotFound);
        Assert.Equal("image \"nope\" not found for container instances (see vessel image list)", message);
    }

    [Fact]
    public async Task Create_InUnknownPool_Answers404()
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web1", "base", ", \"pool\": \"fast\""), HttpStatusCode.NotFound);
        Assert.Equal("storage pool \"fast\" not found", message);
    }

    [Fact]
    public async Task Create_OfATypeWithoutEngine_Answers501NotSupportedYet()
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            """{"name": "vm1", "type": "virtual-machine", "source": {"alias": "base"}}"""), (HttpStatusCode)501);
        Assert.Equal("virtual-machine instances are not supported by this vesseld: it runs without a VM engine", message);
    }

    [Theory]
    [InlineData("""{"data": {"type": "disk", "path": "/srv", "source": "/srv"}}""", "devices.data.source: host paths are not supported yet")]
    [InlineData("""{"root": {"type": "disk", "path": "/", "pool": "default", "size": "10GiB"}}""", "devices.root.size: storage pool \"default\" (dir) has no quotas; a btrfs pool has")]
    public async Task Create_WithADeviceThatDoesNothingYet_Answers501(string devices, string expected)
    {
        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("web1", "base", $", \"devices\": {devices}"), (HttpStatusCode)501);

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/instances"));
    }

    [Fact]
    public async Task Create_WithANicOnAMissingNetwork_Answers404_AndMakesNothing()
    {
        var message = await TestDaemon.ErrorAsync(
            await _daemon.LaunchAsync("web1", "base", """, "devices": {"eth0": {"type": "nic", "network": "nowhere"}}"""), HttpStatusCode.NotFound);

        Assert.Equal("network \"nowhere\" not found", message);
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/instances"));
    }

    [Fact]
    public async Task Create_WithATakenName_Answers409_EvenInOtherCase()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        var message = await TestDaemon.ErrorAsync(await _daemon.LaunchAsync("WEB1", "base"), HttpStatusCode.Conflict);

        Assert.Equal("instance \"WEB1\" already exists", message);
    }

    [Theory]
    [InlineData("", "path: the absolute path of the file in the instance is required")]
    [InlineData("?path=etc/hosts", "path: \"etc/hosts\" is not absolute")]
    [InlineData("?path=/etc/", "path: \"/etc/\" names a directory, not a file")]
    public async Task Files_WithABadPath_Answer400(string query, string expected)
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));

        Assert.Equal(expected, await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync($"/1.0/instances/web1/files{query}"), HttpStatusCode.BadRequest));
        Assert.Equal(expected, await TestDaemon.ErrorAsync(
            await _daemon.Http.PostAsync($"/1.0/instances/web1/files{query}", new ByteArrayContent([1])), HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("X-Vessel-Mode", "999", "X-Vessel-Mode: \"999\" is not a file mode; use octal digits such as 644 or 0755")]
    [InlineData("X-Vessel-Mode", "u+x", "X-Vessel-Mode: \"u+x\" is not a file mode; use octal digits such as 644 or 0755")]
    [InlineData("X-Vessel-Uid", "-1", "X-Vessel-Uid: \"-1\" is not a numeric id")]
    [InlineData("X-Vessel-Gid", "root", "X-Vessel-Gid: \"root\" is not a numeric id")]
    public async Task FilePush_WithABadHeader_Answers400NamingIt(string header, string value, string expected)
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        var content = new ByteArrayContent([1]);
        content.Headers.Add(header, value);

        Assert.Equal(expected, await TestDaemon.ErrorAsync(await _daemon.Http.PostAsync("/1.0/instances/web1/files?path=/x", content), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Files_OfAStoppedInstance_Answer409()
    {
        await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances", """{"name": "web1", "source": {"alias": "base"}}"""));

        Assert.Equal("cannot read a file of instance \"web1\": it is Stopped",
            await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/web1/files?path=/etc/hosts"), HttpStatusCode.Conflict));
        Assert.Equal("cannot write a file in instance \"web1\": it is Stopped", await TestDaemon.ErrorAsync(
            await _daemon.Http.PostAsync("/1.0/instances/web1/files?path=/etc/hosts", new ByteArrayContent([1])), HttpStatusCode.Conflict));
    }

    [Theory]
    [InlineData("""{"action": "explode"}""", "action: \"explode\" is not one of start, stop, restart, freeze, unfreeze")]
    [InlineData("""{"force": true}""", "action: required")]
    [InlineData("""{"action": "stop", "timeout": -5}""", "timeout: -5 is out of range")]
    public async Task ChangeState_WithBadInput_Answers400(string body, string expected)
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base"));
        var message = await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Put, "/1.0/instances/web1/state", body),
            HttpStatusCode.BadRequest);
        Assert.StartsWith(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownInstance_Answers404()
    {
        Assert.Equal("instance \"ghost\" not found",
            await TestDaemon.ErrorAsync(await _daemon.ActAsync("ghost", "start"), HttpStatusCode.NotFound));
        Assert.Equal("instance \"ghost\" not found",
            await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync("/1.0/instances/ghost"), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task UnknownPathAndMethod_AnswerJsonErrors()
    {
        Assert.Equal("GET /2.0/things: no such API path", await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/2.0/things"), HttpStatusCode.NotFound));
        await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Put, "/1.0/instances", "{}"), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task PatchConfig_WithBadValue_Answers400AndKeepsConfig()
    {
        await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base", ", \"config\": {\"limits.memory\": \"64MiB\"}"));

        var message = await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1",
            """{"config": {"limits.memory": "1PiB", "limits.processes": "10"}}"""), HttpStatusCode.BadRequest);

        Assert.StartsWith("limits.memory: 1PiB is out of range; allowed is 4MiB to", message, StringComparison.Ordinal);
        var config = (await _daemon.GetInstanceAsync("web1")).Config;
        Assert.Equal("64MiB", config["limits.memory"]);
        Assert.False(config.ContainsKey("limits.processes"));
    }

    [Fact]
    public async Task ImportOfAFileThatIsNoImage_Answers400AndStoresNothing()
    {
        var response = await _daemon.Http.PostAsync("/1.0/images", new ByteArrayContent(new byte[4096]));

        var message = await TestDaemon.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("the file is not an image", message, StringComparison.Ordinal);
        Assert.Single(await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/images"), Vessel.Core.Api.VesselJson.Wire.ListString));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_daemon.Options.ImagesDirectory, ".staging")));
    }

    [Fact]
    public async Task StoragePool_BadInput_Answers4xx()
    {
        Assert.Equal("storage pool \"default\" already exists", await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post,
            "/1.0/storage-pools", """{"name": "default", "driver": "dir"}"""), HttpStatusCode.Conflict));
        Assert.StartsWith("driver: \"zfs\" is not a storage driver", await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post,
            "/1.0/storage-pools", """{"name": "p2", "driver": "zfs"}"""), HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.StartsWith("source: \"relative/dir\" is not an absolute path", await TestDaemon.ErrorAsync(await _daemon.SendJsonAsync(HttpMethod.Post,
            "/1.0/storage-pools", """{"name": "p2", "source": "relative/dir"}"""), HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }
}
