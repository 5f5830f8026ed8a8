using System.Text;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qga;
using Vessel.Engines.Qemu.Tests.Qga;

namespace Vessel.Engines.Qemu.Tests;

/// <summary>exec in a VM through the guest agent, against a fake agent.</summary>
public sealed class AgentExecSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string Name(JsonElement command) => command.GetProperty("execute").GetString()!;

    private static Task Answer(JsonElement command, Func<string, Task> send, string result) =>
        send($$"""{"return": {{result}}, "id": {{command.GetProperty("id").GetRawText()}}}""" + "\n");

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>The agent as the driver hands it over: one connection, made on first use.</summary>
    private static GuestAgent Agent(FakeGuestAgent fake)
    {
        GuestAgentClient? client = null;
        return new GuestAgent("vm1", async ct => client ??= await GuestAgentClient.ConnectAsync(fake.SocketPath, Timeout, ct));
    }

    private static List<JsonElement> Commands(FakeGuestAgent fake, string name)
    {
        lock (fake.Received)
            return [.. fake.Received.Select(l => JsonDocument.Parse(l).RootElement).Where(c => Name(c) == name)];
    }

    private static async Task<string> ReadAllAsync(Stream? stream) => await new StreamReader(stream!).ReadToEndAsync();

    [Fact]
    public async Task Exec_StartsWhenStdinEnds_WithAllOfIt_AndPassesOutputAndExitCodeThrough()
    {
        var polls = 0;
        await using var fake = new FakeGuestAgent((command, send) => Name(command) switch
        {
            "guest-exec" => Answer(command, send, """{"pid": 42}"""),
            _ when ++polls < 3 => Answer(command, send, """{"exited": false}"""),
            _ => Answer(command, send, $$"""{"exited": true, "exitcode": 3, "out-data": "{{Base64("out\n")}}", "err-data": "{{Base64("err\n")}}"}"""),
        });
        await using var session = new AgentExecSession(Agent(fake), new ExecRequest { Command = ["cat"], Environment = new Dictionary<string, string> { ["A"] = "b" } });

        await session.Input.WriteAsync("in"u8.ToArray());
        await Task.Delay(100);
        Assert.Empty(Commands(fake, "guest-exec"));
        await session.Input.DisposeAsync();

        Assert.Equal(3, await session.Exited.WaitAsync(Timeout));
        Assert.Equal("out\n", await ReadAllAsync(session.Output));
        Assert.Equal("err\n", await ReadAllAsync(session.Error));
        Assert.True(session.InputAtStart);
        var exec = Assert.Single(Commands(fake, "guest-exec")).GetProperty("arguments");
        Assert.Equal("/bin/sh", exec.GetProperty("path").GetString());
        Assert.Equal(["-c", "cd -- \"$0\" && exec \"$@\"", "/root", "cat"], exec.GetProperty("arg").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=dumb", "A=b"],
            exec.GetProperty("env").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(Base64("in"), exec.GetProperty("input-data").GetString());
        Assert.Equal(42, Commands(fake, "guest-exec-status")[0].GetProperty("arguments").GetProperty("pid").GetInt64());
    }

    [Fact]
    public async Task Exec_KilledBySignal_Is128PlusTheSignal_AndCutOutputIsSaid()
    {
        await using var fake = new FakeGuestAgent((command, send) => Name(command) == "guest-exec"
            ? Answer(command, send, """{"pid": 7}""")
            : Answer(command, send, """{"exited": true, "signal": 9, "out-truncated": true}"""));
        await using var session = new AgentExecSession(Agent(fake), new ExecRequest { Command = ["yes"], WorkingDirectory = "/" });

        await session.Input.DisposeAsync();

        Assert.Equal(137, await session.Exited.WaitAsync(Timeout));
        Assert.Equal("", await ReadAllAsync(session.Output));
        Assert.Equal("vessel: the guest agent cut the output short (it keeps 16 MiB of each stream)\n", await ReadAllAsync(session.Error));
        var exec = Assert.Single(Commands(fake, "guest-exec")).GetProperty("arguments");
        Assert.Equal("yes", exec.GetProperty("path").GetString());
        Assert.False(exec.TryGetProperty("input-data", out _));
    }

    [Fact]
    public async Task Exec_ACommandTheGuestCannotRun_IsABadRequestWithTheAgentsReason()
    {
        await using var fake = new FakeGuestAgent((command, send) => send(
            $$"""{"error": {"class": "GenericError", "desc": "Guest agent command failed, error was 'Failed to execute child process “nope” (No such file or directory)'"}, "id": {{command.GetProperty("id").GetRawText()}}}""" + "\n"));
        await using var session = new AgentExecSession(Agent(fake), new ExecRequest { Command = ["nope"], WorkingDirectory = "/" });

        await session.Input.DisposeAsync();

        var error = await Assert.ThrowsAsync<BadRequestException>(() => session.Exited.WaitAsync(Timeout));
        Assert.StartsWith("cannot run nope in virtual machine \"vm1\": Guest agent command failed", error.Message, StringComparison.Ordinal);
        Assert.Equal("", await ReadAllAsync(session.Output));
    }

    [Fact]
    public async Task Exec_AgentGoneWhilePolling_IsA503NamingTheAgent()
    {
        FakeGuestAgent? self = null;
        await using var fake = self = new FakeGuestAgent((command, send) =>
        {
            if (Name(command) == "guest-exec")
                return Answer(command, send, """{"pid": 5}""");
            self!.Hangup();
            return Task.CompletedTask;
        });
        await using var session = new AgentExecSession(Agent(fake), new ExecRequest { Command = ["sleep", "100"] });

        await session.Input.DisposeAsync();

        var error = await Assert.ThrowsAsync<VesselException>(() => session.Exited.WaitAsync(Timeout));
        Assert.Equal(503, error.StatusCode);
        Assert.StartsWith("the guest agent of virtual machine \"vm1\" is unavailable: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_BeforeStdinEnds_NeverStartsTheCommand()
    {
        await using var fake = new FakeGuestAgent((command, send) => Answer(command, send, """{"pid": 1}"""));
        await using var session = new AgentExecSession(Agent(fake), new ExecRequest { Command = ["true"] });

        session.Kill();
        await session.Input.DisposeAsync();

        Assert.Equal(137, await session.Exited.WaitAsync(Timeout));
        await Task.Delay(100);
        Assert.Empty(Commands(fake, "guest-exec"));
    }

    [Fact]
    public async Task Kill_WhileRunning_KillsItInTheGuestThroughSh()
    {
        var killed = false;
        await using var fake = new FakeGuestAgent((command, send) =>
        {
            if (Name(command) == "guest-exec")
            {
                killed |= command.GetProperty("arguments").GetProperty("path").GetString() == "/bin/sh"
                    && command.GetProperty("arguments").GetProperty("arg")[1].GetString() == "kill -KILL 99";
                return Answer(command, send, """{"pid": 99}""");
            }
            return Answer(command, send, killed ? """{"exited": true, "signal": 9}""" : """{"exited": false}""");
        });
        await using var session = new AgentExecSession(Agent(fake), new ExecRequest { Command = ["sleep", "1000"], WorkingDirectory = "/" });
        await session.Input.DisposeAsync();
        while (Commands(fake, "guest-exec-status").Count == 0)
            await Task.Delay(10);

        session.Kill();

        Assert.Equal(137, await session.Exited.WaitAsync(Timeout));
        Assert.True(killed);
    }

    [Theory]
    [InlineData(0u, 0u, null, new[] { "/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", "/root", "id" })]
    [InlineData(0u, 0u, "/", new[] { "id" })]
    [InlineData(1000u, 100u, null, new[] { "setpriv", "--reuid=1000", "--regid=100", "--clear-groups", "--", "id" })]
    [InlineData(1000u, 1000u, "/tmp", new[] { "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--", "/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", "/tmp", "id" })]
    public void CommandLine_DirectoryThroughSh_UserThroughSetpriv(uint user, uint group, string? directory, string[] expected)
    {
        Assert.Equal(expected, AgentExecSession.CommandLine(new ExecRequest { Command = ["id"], User = user, Group = group, WorkingDirectory = directory }));
    }
}
