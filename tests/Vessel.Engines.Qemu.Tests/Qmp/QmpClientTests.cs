using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Engines.Qemu.Qmp;

namespace Vessel.Engines.Qemu.Tests.Qmp;

public sealed class QmpClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static string Id(JsonElement command) => command.GetProperty("id").GetRawText();

    [Fact]
    public void Encode_CommandWithArguments_WritesOneLineWithId()
    {
        var bytes = QapiWire.Encode("balloon", new JsonObject { ["value"] = 268435456L }, 7);

        Assert.Equal("{\"execute\":\"balloon\",\"arguments\":{\"value\":268435456},\"id\":7}\n", System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Encode_CommandWithoutArguments_LeavesArgumentsOut()
    {
        Assert.Equal("{\"execute\":\"query-status\",\"id\":1}\n", System.Text.Encoding.UTF8.GetString(QapiWire.Encode("query-status", null, 1)));
    }

    [Fact]
    public void ParseGreeting_Qemu72_ReadsVersion()
    {
        var version = QmpClient.ParseGreeting(FakeQmpServer.Greeting);

        Assert.Equal(new QmpVersion(7, 2, 22, "Debian 1:7.2+dfsg-7"), version);
        Assert.Equal("7.2.22 (Debian 1:7.2+dfsg-7)", version.ToString());
    }

    [Fact]
    public void ParseGreeting_NotQmp_Throws()
    {
        Assert.Throws<IOException>(() => QmpClient.ParseGreeting("""{"hello": 1}"""));
    }

    [Fact]
    public async Task Connect_Greeting_NegotiatesCapabilitiesFirst()
    {
        await using var server = new FakeQmpServer((_, _) => Task.CompletedTask);

        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        Assert.Equal(7, client.Version.Major);
        var first = JsonDocument.Parse(Assert.Single(server.Received)).RootElement;
        Assert.Equal("qmp_capabilities", first.GetProperty("execute").GetString());
        Assert.False(first.TryGetProperty("arguments", out _));
    }

    [Fact]
    public async Task Execute_Answer_ReturnsReturnValue()
    {
        await using var server = new FakeQmpServer((command, send) =>
            send($$"""{"return": {"status": "running", "singlestep": false, "running": true}, "id": {{Id(command)}}}"""));
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        var result = await client.ExecuteAsync("query-status");

        Assert.Equal("running", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Execute_AnswersOutOfOrder_MatchedById()
    {
        var held = new List<(JsonElement Command, Func<string, Task> Send)>();
        await using var server = new FakeQmpServer(async (command, send) =>
        {
            held.Add((command, send));
            if (held.Count == 2)
            {
                foreach (var (c, s) in Enumerable.Reverse(held))
                    await s($$"""{"return": "{{c.GetProperty("execute").GetString()}}", "id": {{Id(c)}}}""");
            }
        });
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        var first = client.ExecuteAsync("first");
        var second = client.ExecuteAsync("second");

        Assert.Equal("first", (await first).GetString());
        Assert.Equal("second", (await second).GetString());
    }

    [Fact]
    public async Task Execute_Error_ThrowsWithQemuClassAndDescription()
    {
        await using var server = new FakeQmpServer((command, send) =>
            send($$"""{"error": {"class": "DeviceNotActive", "desc": "No balloon device has been activated"}, "id": {{Id(command)}}}"""));
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        var error = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("balloon", new JsonObject { ["value"] = 1 }));

        Assert.Equal("DeviceNotActive", error.ErrorClass);
        Assert.Equal("No balloon device has been activated", error.Description);
        Assert.Equal("QMP balloon failed: No balloon device has been activated (DeviceNotActive)", error.Message);
    }

    [Fact]
    public async Task Execute_NoAnswer_TimesOut()
    {
        await using var server = new FakeQmpServer((_, _) => Task.CompletedTask);
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.ExecuteAsync("query-status", timeout: TimeSpan.FromMilliseconds(100)));

        Assert.Contains("query-status", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_BeforeAndAfterAnswer_SurfaceInOrderWithData()
    {
        await using var server = new FakeQmpServer(async (command, send) =>
        {
            await send("""{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "POWERDOWN"}""");
            await send($$"""{"return": {}, "id": {{Id(command)}}}""");
            await send("""{"timestamp": {"seconds": 1700000001, "microseconds": 0}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}""");
        });
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        await client.ExecuteAsync("system_powerdown");
        var powerdown = await client.Events.ReadAsync();
        var shutdown = await client.Events.ReadAsync();

        Assert.Equal("POWERDOWN", powerdown.Name);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(50), powerdown.Timestamp);
        Assert.Equal("SHUTDOWN", shutdown.Name);
        Assert.Equal("guest-shutdown", shutdown.DataString("reason"));
    }

    [Fact]
    public async Task Hangup_PendingCommand_FailsAsClosedAndEventsComplete()
    {
        FakeQmpServer? self = null;
        await using var server = self = new FakeQmpServer((_, _) =>
        {
            self!.Hangup();
            return Task.CompletedTask;
        });
        await using var client = await QmpClient.ConnectAsync(server.SocketPath, Timeout, CancellationToken.None);

        await Assert.ThrowsAsync<QmpClosedException>(() => client.ExecuteAsync("quit"));
        await client.Closed.WaitAsync(Timeout);
        Assert.False(await client.Events.WaitToReadAsync());
        await Assert.ThrowsAsync<QmpClosedException>(() => client.ExecuteAsync("query-status"));
    }

    [Fact]
    public async Task Connect_NoGreeting_TimesOut()
    {
        var directory = Directory.CreateTempSubdirectory("vessel-qmp-").FullName;
        try
        {
            var path = Path.Combine(directory, "qmp.sock");
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen(1); // accepts at the kernel level, never greets: a monitor held by another client

            var error = await Assert.ThrowsAsync<TimeoutException>(() => QmpClient.ConnectAsync(path, TimeSpan.FromMilliseconds(200), CancellationToken.None));

            Assert.Contains("did not greet", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
