using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Vessel.Engines.Qemu.Qmp;

namespace Vessel.Engines.Qemu.Qga;

/// <summary>
/// One connection to the QEMU guest agent (qemu-ga) in a VM, through the virtio-serial port that QEMU serves on a unix
/// socket. The channel keeps whatever an earlier client left in it, and bytes written while no agent runs in the guest
/// wait in the socket until one starts. So connecting first sends 0xFF (the agent drops any half-read JSON) and
/// guest-sync-delimited with a random id, and discards everything until the agent's 0xFF sentinel and the answer that
/// carries that id. After that the agent answers one command at a time, in order; commands carry an id as well and an
/// answer with another id is dropped. A command that times out leaves the stream out of step: the client is then
/// <see cref="Broken"/> and a new connection has to be made. QEMU serves one client at a time: hold one per VM.
/// </summary>
public sealed partial class GuestAgentClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const byte Sentinel = 0xFF;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<string?> _frames = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private volatile bool _broken;

    private GuestAgentClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>True once a command timed out, was cancelled or the connection ended: dispose this client and connect again.</summary>
    public bool Broken => _broken;

    /// <summary>Connects and synchronises with the agent (0xFF, guest-sync-delimited with a random id).</summary>
    /// <exception cref="TimeoutException">The agent did not answer within the timeout: none runs in the guest (yet), or it is stuck.</exception>
    /// <exception cref="SocketException">Nobody listens on the socket (the VM is not running).</exception>
    public static async Task<GuestAgentClient> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        return await QapiWire.ConnectAsync(socketPath, timeout, socket => new GuestAgentClient(socket), (client, deadline) =>
        {
            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            return client.SyncAsync(deadline);
        }, $"the guest agent did not answer within {timeout.TotalSeconds:0.#} s " +
            "(qemu-guest-agent starts in the guest once it has booted; is it installed and running?)", cancellationToken);
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var token = Random.Shared.NextInt64(1, 1L << 53);
        var request = QapiWire.Encode("guest-sync-delimited", new JsonObject { ["id"] = token }, null);
        await _stream.WriteAsync(new[] { Sentinel }.Concat(request).ToArray(), cancellationToken);
        var sentinelSeen = false;
        while (true)
        {
            var frame = await ReceiveAsync("guest-sync-delimited", cancellationToken);
            if (frame is null)
                sentinelSeen = true;
            else if (sentinelSeen && Parse(frame) is { } answer && answer.TryGetProperty("return", out var value)
                && value.TryGetInt64(out var echoed) && echoed == token)
                return;
        }
    }

    /// <summary>Runs one command and returns its "return" value.</summary>
    /// <exception cref="GuestAgentException">The agent answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout (<see cref="DefaultTimeout"/> when null); the client is broken from then on.</exception>
    /// <exception cref="GuestAgentClosedException">The connection ended first, or the client is broken already.</exception>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var limit = timeout ?? DefaultTimeout;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_broken)
                throw new GuestAgentClosedException($"guest agent {command}: the connection is out of step after an earlier failure; connect again");
            var id = ++_nextId;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(limit);
            try
            {
                await _stream.WriteAsync(QapiWire.Encode(command, arguments, id), deadline.Token);
                while (true)
                {
                    var frame = await ReceiveAsync(command, deadline.Token);
                    if (frame is null || Parse(frame) is not { } answer)
                        continue;
                    // qemu-ga echoes the id; an answer without one is the answer to the only command in flight.
                    if (answer.TryGetProperty("id", out var echoed) && !(echoed.TryGetInt64(out var echoedId) && echoedId == id))
                        continue;
                    if (answer.TryGetProperty("return", out var result))
                        return result;
                    if (answer.TryGetProperty("error", out var error))
                    {
                        var (errorClass, description) = QapiWire.Error(error, frame);
                        throw new GuestAgentException(command, errorClass, description);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _broken = true;
                throw new TimeoutException($"the guest agent did not answer {command} within {limit.TotalSeconds:0.#} s");
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                _broken = true;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The next line the agent sent, or null for a 0xFF sentinel.</summary>
    private async Task<string?> ReceiveAsync(string command, CancellationToken cancellationToken)
    {
        try
        {
            return await _frames.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new GuestAgentClosedException($"guest agent {command}: {e.InnerException?.Message ?? "the connection is closed"}", e.InnerException);
        }
    }

    private static JsonElement? Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null; // the tail of something an earlier client left behind
        }
    }

    /// <summary>Cuts the byte stream into lines and 0xFF sentinels (null), which also drop the line they interrupt.</summary>
    private async Task ReadLoopAsync()
    {
        var buffer = new byte[65536];
        using var line = new MemoryStream();
        Exception because;
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                var rest = buffer.AsMemory(0, read);
                while (rest.Length > 0)
                {
                    var at = rest.Span.IndexOfAny(Sentinel, (byte)'\n');
                    if (at < 0)
                    {
                        line.Write(rest.Span);
                        break;
                    }
                    line.Write(rest.Span[..at]);
                    if (rest.Span[at] == Sentinel)
                        _frames.Writer.TryWrite(null);
                    else if (line.Length > 0)
                        _frames.Writer.TryWrite(Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r'));
                    line.SetLength(0);
                    rest = rest[(at + 1)..];
                }
            }
            because = new GuestAgentClosedException("QEMU closed the guest agent connection");
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            because = new GuestAgentClosedException("the guest agent connection ended: " + e.Message, e);
        }
        _broken = true;
        _frames.Writer.TryComplete(because);
    }

    public async ValueTask DisposeAsync()
    {
        _broken = true;
        await _stop.CancelAsync();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // not connected, or QEMU is gone already
        }
        _socket.Dispose();
        await _readLoop;
        await _stream.DisposeAsync();
        _stop.Dispose();
    }
}
