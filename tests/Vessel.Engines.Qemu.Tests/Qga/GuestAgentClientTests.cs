using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vessel.Engines.Qemu.Qga;

namespace Vessel.Engines.Qemu.Tests.Qga;

public sealed class GuestAgentClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static string Id(JsonElement command) => command.GetProperty("id").GetRawText();

    private static string Name(JsonElement command) => command.GetProperty("execute").GetString()!;

    private static JsonElement Arguments(JsonElement command) => command.GetProperty("arguments");

    private static Func<JsonElement, Func<string, Task>, Task> Answer(string result) =>
        (command, send) => send($$"""{"return": {{result}}, "id": {{Id(command)}}}""" + "\n");

    [Fact]
    public async Task Connect_SendsSentinelThenSyncWithAnIdOfItsOwn()
    {
        await using var agent = new FakeGuestAgent(Answer("{}"));

        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        Assert.Equal(0xFF, agent.Raw.ToArray()[0]);
        var sync = JsonDocument.Parse(agent.Received[0]).RootElement;
        Assert.Equal("guest-sync-delimited", Name(sync));
        Assert.True(Arguments(sync).GetProperty("id").GetInt64() > 0);
        Assert.False(sync.TryGetProperty("id", out _));
    }

    [Fact]
    public async Task Connect_StaleAnswersInTheChannel_DiscardedUntilItsOwnSyncAnswer()
    {
        // What an earlier client's commands left: an answer, half a line, and the answer to an older sync after its sentinel.
        await using var agent = new FakeGuestAgent(Answer("\"mine\""), beforeSync: "{\"return\": \"stale\", \"id\": 1}\n{\"return\": {\"pi\xff{\"return\": 12345}\n");
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        var result = await client.ExecuteAsync("guest-info");

        Assert.Equal("mine", result.GetString());
        Assert.Equal(["guest-sync-delimited", "guest-info"], agent.Received.Select(l => Name(JsonDocument.Parse(l).RootElement)));
    }

    [Fact]
    public async Task Connect_NoAgentInTheGuest_TimesOutSayingSo()
    {
        var directory = Directory.CreateTempSubdirectory("vessel-qga-").FullName;
        try
        {
            var path = Path.Combine(directory, "qga.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1); // QEMU accepts, but with no agent in the guest nothing ever reads or answers

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<TimeoutException>(() => GuestAgentClient.ConnectAsync(path, TimeSpan.FromMilliseconds(300), CancellationToken.None));

            Assert.StartsWith("the guest agent did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Connect_NobodyListens_ThrowsSocketException()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vessel-qga-missing-{Guid.NewGuid():N}.sock");

        await Assert.ThrowsAnyAsync<SocketException>(() => GuestAgentClient.ConnectAsync(path, Timeout, CancellationToken.None));
    }

    [Fact]
    public async Task Execute_AnswerWithAnotherId_IsDropped()
    {
        await using var agent = new FakeGuestAgent((command, send) =>
            send($$"""{"return": "stale", "id": 999}""" + "\n" + $$"""{"return": "mine", "id": {{Id(command)}}}""" + "\n"));
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        var result = await client.ExecuteAsync("guest-info");

        Assert.Equal("mine", result.GetString());
    }

    [Fact]
    public async Task Execute_Error_ThrowsWithTheAgentsClassAndDescription()
    {
        await using var agent = new FakeGuestAgent((command, send) => send(
            $$"""{"error": {"class": "GenericError", "desc": "failed to open file '/nope' (mode: 'r'): No such file or directory"}, "id": {{Id(command)}}}""" + "\n"));
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        var error = await Assert.ThrowsAsync<GuestAgentException>(() => client.OpenFileAsync("/nope", "r", CancellationToken.None));

        Assert.Equal("GenericError", error.ErrorClass);
        Assert.Equal("guest agent guest-file-open failed: failed to open file '/nope' (mode: 'r'): No such file or directory", error.Message);
        Assert.False(client.Broken);
    }

    [Fact]
    public async Task Execute_NoAnswer_TimesOutAndLeavesTheClientBroken()
    {
        await using var agent = new FakeGuestAgent((_, _) => Task.CompletedTask);
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.ExecuteAsync("guest-ping", timeout: TimeSpan.FromMilliseconds(100)));

        Assert.Equal("the guest agent did not answer guest-ping within 0.1 s", error.Message);
        Assert.True(client.Broken);
        await Assert.ThrowsAsync<GuestAgentClosedException>(() => client.PingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Hangup_PendingCommand_FailsAsClosed()
    {
        FakeGuestAgent? self = null;
        await using var agent = self = new FakeGuestAgent((_, _) =>
        {
            self!.Hangup();
            return Task.CompletedTask;
        });
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        await Assert.ThrowsAsync<GuestAgentClosedException>(() => client.PingAsync(CancellationToken.None));
        Assert.True(client.Broken);
    }

    [Fact]
    public async Task Exec_InputGoesAsBase64_StatusDecodesOutputAndExitCode()
    {
        var polls = 0;
        await using var agent = new FakeGuestAgent((command, send) => Name(command) switch
        {
            "guest-exec" => Answer("""{"pid": 4242}""")(command, send),
            "guest-exec-status" when ++polls == 1 => Answer("""{"exited": false}""")(command, send),
            _ => Answer($$"""{"exited": true, "exitcode": 3, "out-data": "{{Convert.ToBase64String("out\n"u8)}}", "err-data": "{{Convert.ToBase64String("err\n"u8)}}", "out-truncated": true}""")(command, send),
        });
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        var pid = await client.ExecAsync("/bin/sh", ["-c", "cat; exit 3"], ["PATH=/bin", "A=b"], Encoding.UTF8.GetBytes("hello"), captureOutput: true, CancellationToken.None);
        var running = await client.ExecStatusAsync(pid, CancellationToken.None);
        var done = await client.ExecStatusAsync(pid, CancellationToken.None);

        Assert.Equal(4242, pid);
        var exec = Arguments(JsonDocument.Parse(agent.Received[1]).RootElement);
        Assert.Equal("/bin/sh", exec.GetProperty("path").GetString());
        Assert.Equal(["-c", "cat; exit 3"], exec.GetProperty("arg").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["PATH=/bin", "A=b"], exec.GetProperty("env").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("aGVsbG8=", exec.GetProperty("input-data").GetString());
        Assert.True(exec.GetProperty("capture-output").GetBoolean());
        Assert.Equal(4242, Arguments(JsonDocument.Parse(agent.Received[2]).RootElement).GetProperty("pid").GetInt64());
        Assert.False(running.Exited);
        Assert.True(done.Exited);
        Assert.Equal(3, done.ExitCode);
        Assert.Null(done.Signal);
        Assert.Equal("out\n"u8.ToArray(), done.Output);
        Assert.Equal("err\n"u8.ToArray(), done.Error);
        Assert.True(done.OutputTruncated);
        Assert.False(done.ErrorTruncated);
    }

    [Fact]
    public async Task Exec_WithoutInput_SendsNoInputData()
    {
        await using var agent = new FakeGuestAgent(Answer("""{"pid": 1}"""));
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);

        await client.ExecAsync("/bin/true", [], [], null, captureOutput: false, CancellationToken.None);

        Assert.False(Arguments(JsonDocument.Parse(agent.Received[1]).RootElement).TryGetProperty("input-data", out _));
    }

    [Fact]
    public async Task Files_OpenWriteReadClose_Base64BothWays()
    {
        var stored = new MemoryStream();
        await using var agent = new FakeGuestAgent((command, send) =>
        {
            switch (Name(command))
            {
                case "guest-file-open":
                    return Answer("7")(command, send);
                case "guest-file-write":
                    var bytes = Convert.FromBase64String(Arguments(command).GetProperty("buf-b64").GetString()!);
                    stored.Write(bytes);
                    return Answer($$"""{"count": {{bytes.Length}}, "eof": false}""")(command, send);
                case "guest-file-read":
                    var data = Convert.ToBase64String(stored.ToArray());
                    return Answer($$"""{"count": {{stored.Length}}, "buf-b64": "{{data}}", "eof": true}""")(command, send);
                default:
                    return Answer("{}")(command, send);
            }
        });
        await using var client = await GuestAgentClient.ConnectAsync(agent.SocketPath, Timeout, CancellationToken.None);
        var content = new byte[] { 0, 1, 2, 0xFF, (byte)'\n', 0xFE };

        var handle = await client.OpenFileAsync("/tmp/x", "w", CancellationToken.None);
        await client.WriteFileAsync(handle, content, CancellationToken.None);
        var (data, eof) = await client.ReadFileAsync(handle, 65536, CancellationToken.None);
        await client.CloseFileAsync(handle, CancellationToken.None);

        Assert.Equal(7, handle);
        Assert.Equal(content, data);
        Assert.True(eof);
        var open = Arguments(JsonDocument.Parse(agent.Received[1]).RootElement);
        Assert.Equal("/tmp/x", open.GetProperty("path").GetString());
        Assert.Equal("w", open.GetProperty("mode").GetString());
        Assert.Equal(65536, Arguments(JsonDocument.Parse(agent.Received[3]).RootElement).GetProperty("count").GetInt32());
        Assert.Equal(7, Arguments(JsonDocument.Parse(agent.Received[4]).RootElement).GetProperty("handle").GetInt64());
    }
}
