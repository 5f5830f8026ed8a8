using System.Net.Sockets;

namespace Vessel.Engines.Qemu.Tests;

/// <summary>The QEMU end of a unix socket, played by a test: listens in a temporary directory, serves one client.</summary>
internal abstract class FakeSocketPeer : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vessel-qemu-peer-").FullName;
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private Task _serve = Task.CompletedTask;
    private Socket? _client;

    protected FakeSocketPeer(string socketName)
    {
        SocketPath = Path.Combine(_directory, socketName);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
    }

    public string SocketPath { get; }

    /// <summary>Starts serving; called by the subclass once it is fully constructed.</summary>
    protected void Start() => _serve = Task.Run(async () =>
    {
        try
        {
            _client = await _listener.AcceptAsync();
            await using var stream = new NetworkStream(_client, ownsSocket: false);
            await ServeAsync(stream);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
    });

    protected abstract Task ServeAsync(NetworkStream stream);

    /// <summary>Closes the client connection, as QEMU does when it exits.</summary>
    public void Hangup() => _client?.Shutdown(SocketShutdown.Both);

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _listener.Dispose();
        await _serve;
        Directory.Delete(_directory, recursive: true);
    }
}
