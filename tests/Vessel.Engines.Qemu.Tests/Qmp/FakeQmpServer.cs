using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vessel.Engines.Qemu.Tests.Qmp;

/// <summary>
/// A QMP peer on a temporary unix socket: greets like QEMU 7.2, answers qmp_capabilities, and hands every other
/// command to a handler that writes the raw lines it wants sent back. Records every line it received.
/// </summary>
internal sealed class FakeQmpServer : IAsyncDisposable
{
    public const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("vessel-qmp-").FullName;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Func<JsonElement, Func<string, Task>, Task> _handler;
    private readonly Task _serve;
    private Socket? _client;

    public FakeQmpServer(Func<JsonElement, Func<string, Task>, Task> handler)
    {
        _handler = handler;
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
        _serve = Task.Run(ServeAsync);
    }

    public string SocketPath => Path.Combine(_directory, "qmp.sock");

    public List<string> Received { get; } = [];

    /// <summary>Closes the client connection, as QEMU does when it exits.</summary>
    public void Hangup() => _client?.Shutdown(SocketShutdown.Both);

    private async Task ServeAsync()
    {
        try
        {
            _client = await _listener.AcceptAsync();
            await using var stream = new NetworkStream(_client, ownsSocket: false);
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
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _listener.Dispose();
        try
        {
            await _serve;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
        }
        Directory.Delete(_directory, recursive: true);
    }
}
