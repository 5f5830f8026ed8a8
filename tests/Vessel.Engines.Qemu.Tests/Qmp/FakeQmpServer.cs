using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vessel.Engines.Qemu.Tests.Qmp;

/// <summary>
/// A QMP peer on a temporary unix socket: greets like QEMU 7.2, answers qmp_capabilities, and hands every other
/// command to a handler that writes the raw lines it wants sent back. Records every line it received.
/// </summary>
internal sealed class FakeQmpServer : FakeSocketPeer
{
    public const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}""";

    private readonly Func<JsonElement, Func<string, Task>, Task> _handler;

    public FakeQmpServer(Func<JsonElement, Func<string, Task>, Task> handler) : base("qmp.sock")
    {
        _handler = handler;
        Start();
    }

    public List<string> Received { get; } = [];

    protected override async Task ServeAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var gate = new SemaphoreSlim(1, 1);
        async Task Send(string line)
        {
            await gate.WaitAsync();
            try
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
            }
            finally
            {
                gate.Release();
            }
        }
        await Send(Greeting);
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (Received)
                Received.Add(line);
            using var document = JsonDocument.Parse(line);
            var command = document.RootElement.Clone();
            var id = command.GetProperty("id").GetRawText();
            if (command.GetProperty("execute").GetString() == "qmp_capabilities")
                await Send($$"""{"return": {}, "id": {{id}}}""");
            else
                await _handler(command, Send);
        }
    }
}
