using System.Formats.Tar;
using System.Net;
using System.Text.Json.Nodes;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>GET /1.0/instances/{name}/backup and POST /1.0/instances/import against a real daemon with a test engine.</summary>
public sealed class BackupsApiTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new(InstanceType.Container);
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = await TestDaemon.StartAsync(_engine);
        await _daemon.ImportTarAsync("base");
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.LaunchAsync("web1", "base", """, "config": {"user.note": "keep"} """))).Status);
        await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Post, "/1.0/instances/web1/snapshots", """{"name": "s1"}"""));
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web1", "stop"))).Status);
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private async Task<byte[]> ExportAsync(string query = "")
    {
        var response = await _daemon.Http.GetAsync($"/1.0/instances/web1/backup{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private Task<HttpResponseMessage> ImportAsync(byte[] backup, string name) =>
        _daemon.Http.PostAsync($"/1.0/instances/import?name={name}", new ByteArrayContent(backup));

    [Theory]
    [InlineData("")]
    [InlineData("?compression=none")]
    public async Task ExportThenImport_MakesTheInstanceAgain_WithConfigSnapshotsAndItsRoot(string query)
    {
        var backup = await ExportAsync(query);

        var response = await ImportAsync(backup, "web2");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var copy = await _daemon.GetInstanceAsync("web2");
        Assert.Equal(InstanceStatus.Stopped, copy.Status);
        Assert.Null(copy.StatusReason);
        Assert.Equal("keep", copy.Config["user.note"]);
        // A backup brings the same machine back.
        Assert.Equal((await _daemon.GetInstanceAsync("web1")).Config[InstanceIdentity.UuidKey], copy.Config[InstanceIdentity.UuidKey]);
        Assert.Equal(["web2: fake root of web1, snapshots True"], _engine.Imported);
        Assert.Contains("\"s1\"", await _daemon.Http.GetStringAsync("/1.0/instances/web2/snapshots"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Increments_ApplyInTheirOrder_OntoTheExportTheyFollow()
    {
        var notYet = await _daemon.Http.GetAsync("/1.0/instances/web1/backup?incremental=1");
        Assert.Equal("instance \"web1\" has not been exported since it was made; export it whole first",
            await TestDaemon.ErrorAsync(notYet, HttpStatusCode.Conflict));
        var full = await ExportAsync();
        var first = await ExportAsync("?incremental=1");
        var second = await ExportAsync("?incremental=1");
        Assert.Equal(["web1 not delivered", "web1 delivered", "web1 delivered", "web1 delivered"], _engine.ExportsEnded);

        Assert.Contains("applies onto instance \"web4\" restored from the export before it, and there is none",
            await TestDaemon.ErrorAsync(await ImportAsync(first, "web4"), HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(full, "web4")).StatusCode);
        Assert.Contains("apply the increments in their order",
            await TestDaemon.ErrorAsync(await ImportAsync(second, "web4"), HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(first, "web4")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(second, "web4")).StatusCode);

        Assert.Equal(["web4: fake root of web1, snapshots True", "web4 += fake increment of web1, snapshots True", "web4 += fake increment of web1, snapshots True"],
            _engine.Imported);
        Assert.Equal((await _daemon.GetInstanceAsync("web1")).Config["volatile.export.id"], (await _daemon.GetInstanceAsync("web4")).Config["volatile.export.id"]);

        // Once started, the restored instance's disk has changes of its own: an increment would mix two histories.
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(full, "web5")).StatusCode);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web5", "start"))).Status);
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.ActAsync("web5", "stop"))).Status);
        Assert.Contains("has changed since it was restored from an export",
            await TestDaemon.ErrorAsync(await ImportAsync(first, "web5"), HttpStatusCode.Conflict), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstanceOnly_LeavesTheSnapshotsOut()
    {
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(await ExportAsync("?instance-only=1"), "web3")).StatusCode);

        Assert.Equal(["web3: fake root of web1, snapshots False"], _engine.Imported);
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/instances/web3/snapshots"));
    }

    [Fact]
    public async Task DamagedOrCutBackups_AreRefused_AndNothingIsHalfMade()
    {
        var backup = await ExportAsync("?compression=none");
        var damaged = (byte[])backup.Clone();
        var at = damaged.AsSpan().IndexOf("fake root"u8); // inside the volume part
        damaged[at] = (byte)'F';

        Assert.Contains("does not match its index", await TestDaemon.ErrorAsync(await ImportAsync(damaged, "bad1"), HttpStatusCode.BadRequest),
            StringComparison.Ordinal);
        Assert.Contains("cut short", await TestDaemon.ErrorAsync(await ImportAsync(backup[..(backup.Length / 2)], "bad2"), HttpStatusCode.BadRequest),
            StringComparison.Ordinal);
        Assert.Equal("the backup file is empty", await TestDaemon.ErrorAsync(await ImportAsync([], "bad3"), HttpStatusCode.BadRequest));
        Assert.Empty(_engine.Imported);
        Assert.DoesNotContain("bad", await _daemon.Http.GetStringAsync("/1.0/instances"), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_daemon.Options.StateDirectory, "images", ".staging")));
    }

    [Fact]
    public async Task AFailedImport_TakesTheImageItBroughtAway_AndKeepsOneThatWasHere()
    {
        var backup = await ExportAsync();
        _engine.ImportRefusal = "the backup's root.qcow2 is damaged";

        // The image is here: it stays.
        Assert.Equal("the backup's root.qcow2 is damaged", await TestDaemon.ErrorAsync(await ImportAsync(backup, "web2"), HttpStatusCode.BadRequest));
        Assert.Contains("/1.0/images/", await _daemon.Http.GetStringAsync("/1.0/images"), StringComparison.Ordinal);

        // From another host, without the image: the one the import brought goes with it.
        Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Delete, "/1.0/instances/web1", ""))).Status);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync("/1.0/images/base")).StatusCode);
        Assert.Equal("the backup's root.qcow2 is damaged", await TestDaemon.ErrorAsync(await ImportAsync(backup, "web2"), HttpStatusCode.BadRequest));
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/images"));
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/instances"));

        _engine.ImportRefusal = null;
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(backup, "web2")).StatusCode);
        Assert.Contains("/1.0/images/", await _daemon.Http.GetStringAsync("/1.0/images"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_UnderATakenName_Answers409_AndExportOfARunningInstance_Answers409()
    {
        Assert.Equal("instance \"web1\" already exists", await TestDaemon.ErrorAsync(await ImportAsync(await ExportAsync(), "web1"), HttpStatusCode.Conflict));

        await _daemon.WaitAsync(await _daemon.ActAsync("web1", "start"));
        _engine.ExportRefusal = "container web1 is running; stop it to export it";
        Assert.Equal("container web1 is running; stop it to export it",
            await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/instances/web1/backup"), HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task AnExportThatBreaksOffMidway_EndsTheBodyShort_AndIsNotTakenAsDelivered()
    {
        _engine.ExportUnreadable = true;

        var response = await _daemon.Http.GetAsync("/1.0/instances/web1/backup", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // sent with the first bytes, before the volume was read
        await using var body = await response.Content.ReadAsStreamAsync();

        await Assert.ThrowsAsync<HttpIOException>(() => body.CopyToAsync(Stream.Null));
        Assert.Equal(["web1 not delivered"], _engine.ExportsEnded);
    }

    [Fact]
    public async Task Import_ChecksItsVolumeDevicesAsADeviceAddDoes_AndMakesNothingWhenOneIsWrong()
    {
        const string volumes = "/1.0/storage-pools/default/volumes";
        Assert.Equal(HttpStatusCode.Created, (await _daemon.SendJsonAsync(HttpMethod.Post, volumes, """{"name": "v"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1",
            """{"devices": {"data": {"type": "disk", "pool": "default", "source": "v", "path": "/data"}}}""")).StatusCode);
        var backup = await ExportAsync();
        Assert.Equal(HttpStatusCode.OK, (await _daemon.SendJsonAsync(HttpMethod.Patch, "/1.0/instances/web1", """{"devices": {"data": null}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _daemon.Http.DeleteAsync($"{volumes}/custom/v")).StatusCode);

        Assert.Equal("devices.data.source: storage volume \"v\" not found in storage pool \"default\"",
            await TestDaemon.ErrorAsync(await ImportAsync(backup, "web2"), HttpStatusCode.NotFound));
        // A volume of that name again, but a block one: a container cannot take it.
        Assert.Equal(HttpStatusCode.Created,
            (await _daemon.SendJsonAsync(HttpMethod.Post, volumes, """{"name": "v", "content_type": "block", "config": {"size": "1MiB"}}""")).StatusCode);
        Assert.Equal("devices.data: \"v\" is a block volume; block volumes attach to virtual machines only",
            await TestDaemon.ErrorAsync(await ImportAsync(backup, "web2"), HttpStatusCode.BadRequest));
        Assert.Empty(_engine.Imported);
        Assert.DoesNotContain("web2", await _daemon.Http.GetStringAsync("/1.0/instances"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("snapshots", "[{\"name\": \"../../../../srv\", \"instance\": \"web1\", \"created_at\": \"2026-01-01T00:00:00Z\"}]",
        "the backup's snapshot: \"../../../../srv\" must start with a letter")]
    [InlineData("instance.config.volatile.eth0.hwaddr", "\"00:16:3e:00:00:01,romfile=/etc/shadow\"",
        "the backup's config holds volatile.eth0.hwaddr=\"00:16:3e:00:00:01,romfile=/etc/shadow\", which Vessel does not write there: the file is damaged")]
    [InlineData("instance.config.volatile.anything", "\"x\"", "the backup's config holds volatile.anything=\"x\", which Vessel does not write there: the file is damaged")]
    [InlineData("instance.config.volatile.hwaddr", "\"00:16:3e:00:00:01\"", "the backup's config holds volatile.hwaddr=")]
    [InlineData("instance.config", "null", "the backup's index.json lacks part of its instance")]
    [InlineData("image", "null", "the backup's index.json lacks part of its instance")]
    [InlineData("instance.config.user.note", "null", "the backup's index.json lacks part of its instance")]
    [InlineData("image.type", "\"virtual-machine\"", "the backup's instance is a container and its image one for a virtual-machine")]
    [InlineData("instance.config.limits.cpu", "\"lots\"", "limits.cpu: ")]
    [InlineData("id", "\"0123,x\"", "the backup's index has \"0123,x\" for an export id, which is 16 hexadecimal digits: the file is damaged")]
    public async Task AnIndexWithWhatNoCreateTakes_IsRefused_AndNothingIsMade(string path, string json, string error)
    {
        var backup = WithIndex(await ExportAsync("?compression=none"), index =>
        {
            var parts = path.Split('.', 3);
            var owner = index;
            foreach (var part in parts[..^1])
                owner = owner[part]!.AsObject();
            owner[parts[^1]] = JsonNode.Parse(json);
        });

        var message = await TestDaemon.ErrorAsync(await ImportAsync(backup, "web2"), HttpStatusCode.BadRequest);

        Assert.StartsWith(error, message, StringComparison.Ordinal);
        Assert.Empty(_engine.Imported);
        Assert.DoesNotContain("web2", await _daemon.Http.GetStringAsync("/1.0/instances"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIndexNamingAPartTwice_IsA400()
    {
        var backup = WithIndex(await ExportAsync("?compression=none"), index => index["parts"]!.AsArray().Add(index["parts"]![0]!.DeepClone()));

        Assert.StartsWith("the backup's index names its part image/", await TestDaemon.ErrorAsync(await ImportAsync(backup, "web2"), HttpStatusCode.BadRequest),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task AByteFlippedInACompressedBackup_IsRefused_UnlessItDecodesTheSame()
    {
        var backup = await ExportAsync();
        var refused = 0;

        // The end of the file holds the index, which no sha256 covers: the frames' checksums do. (A few bits of a zstd
        // frame are not read at all, or lead to the same bytes: such a file is as good as the original.)
        for (var at = backup.Length - 200; at < backup.Length; at++)
        {
            var damaged = (byte[])backup.Clone();
            damaged[at] ^= 0x01;
            var response = await ImportAsync(damaged, "web2");
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                refused++;
                continue;
            }
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"byte {at} of {backup.Length}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("keep", (await _daemon.GetInstanceAsync("web2")).Config["user.note"]);
            Assert.Equal(OperationStatus.Success, (await _daemon.WaitAsync(await _daemon.SendJsonAsync(HttpMethod.Delete, "/1.0/instances/web2", ""))).Status);
        }
        Assert.InRange(refused, 180, 200);
    }

    /// <summary>An uncompressed backup with its index.json changed by CHANGE.</summary>
    private static byte[] WithIndex(byte[] backup, Action<JsonObject> change)
    {
        using var output = new MemoryStream();
        using (var reader = new TarReader(new MemoryStream(backup)))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name == "index.json")
                {
                    var index = JsonNode.Parse(entry.DataStream!)!.AsObject();
                    change(index);
                    entry.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(index.ToJsonString()));
                }
                writer.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }
}
