using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Vessel.Engines.Qemu.Qmp;

/// <summary>
/// One connection to a QEMU monitor in QMP mode (a unix socket). Connecting reads the greeting and negotiates
/// capabilities; after that commands go out with an id each and their answers are matched by id, so callers may
/// run commands concurrently. Asynchronous events are queued on <see cref="Events"/> in arrival order. QEMU writes
/// one JSON message per line (unless its monitor is started with pretty=on, which Vessel never does).
/// A QEMU monitor serves one client at a time: hold one connection per VM.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly Channel<QmpEvent> _events = Channel.CreateUnbounded<QmpEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private Exception? _closedBecause;

    private sealed record Pending(string Command, TaskCompletionSource<JsonElement> Answer);

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
    }

    /// <summary>The QEMU version its greeting announced.</summary>
    public QmpVersion Version { get; private set; } = new(0, 0, 0, "");

    /// <summary>Events in arrival order; completes when the connection ends.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    /// <summary>Completes when the connection has ended (QEMU exited, closed the socket, or this client was disposed).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects, reads the greeting and leaves capabilities negotiation mode.</summary>
    /// <exception cref="TimeoutException">No greeting or negotiation answer within the timeout (another client may hold the monitor).</exception>
    /// <exception cref="SocketException">Nobody listens on the socket.</exception>
    public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        return await QapiWire.ConnectAsync(socketPath, timeout, socket => new QmpClient(socket), async (client, deadline) =>
        {
            var greeting = await client._reader.ReadLineAsync(deadline)
                ?? throw new QmpClosedException($"QEMU closed its monitor socket {socketPath} before greeting");
            client.Version = ParseGreeting(greeting);
            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            await client.ExecuteAsync("qmp_capabilities", null, timeout, deadline);
        }, $"QEMU's monitor {socketPath} did not greet within {timeout.TotalSeconds:0.#} s (is another client connected?)", cancellationToken);
    }

    internal static QmpVersion ParseGreeting(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var version = document.RootElement.GetProperty("QMP").GetProperty("version");
            var qemu = version.GetProperty("qemu");
            return new QmpVersion(qemu.GetProperty("major").GetInt32(), qemu.GetProperty("minor").GetInt32(), qemu.GetProperty("micro").GetInt32(),
                version.TryGetProperty("package", out var package) ? package.GetString() ?? "" : "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new IOException($"not a QMP greeting: {QapiWire.Truncate(line)}", e);
        }
    }

    /// <summary>Runs one command and returns its "return" value.</summary>
    /// <exception cref="QmpException">QEMU answered with an error; it carries QEMU's class and description.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout (<see cref="DefaultTimeout"/> when null).</exception>
    /// <exception cref="QmpClosedException">The connection ended first.</exception>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var id = Interlocked.Increment(ref _nextId);
        var pending = new Pending(command, new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending[id] = pending;
        try
        {
            if (_closed.Task.IsCompleted)
                throw Closing(command);
            var message = QapiWire.Encode(command, arguments, id);
            await _writeGate.WaitAsync(cancellationToken);
            try
            {
                await _stream.WriteAsync(message, cancellationToken);
            }
            catch (IOException e)
            {
                throw new QmpClosedException($"QMP {command}: the monitor connection is closed", e);
            }
            finally
            {
                _writeGate.Release();
            }
            var limit = timeout ?? DefaultTimeout;
            try
            {
                return await pending.Answer.Task.WaitAsync(limit, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"QEMU did not answer QMP {command} within {limit.TotalSeconds:0.#} s");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length > 0)
                    Dispatch(line);
            }
            _closedBecause = new QmpClosedException("QEMU closed the monitor connection");
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closedBecause = e as QmpClosedException ?? new QmpClosedException("the monitor connection ended: " + e.Message, e);
        }
        finally
        {
            _events.Writer.TryComplete();
            foreach (var (id, pending) in _pending)
            {
                if (_pending.TryRemove(id, out _))
                    pending.Answer.TrySetException(Closing(pending.Command));
            }
            _closed.TrySetResult();
        }
    }

    private QmpClosedException Closing(string command) =>
        new($"QMP {command}: {(_closedBecause?.Message ?? "the monitor connection is closed")}", _closedBecause);

    private void Dispatch(string line)
    {
        JsonElement message;
        try
        {
            using var document = JsonDocument.Parse(line);
            message = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new IOException($"QEMU sent a line that is not JSON: {QapiWire.Truncate(line)}", e);
        }
        if (message.ValueKind != JsonValueKind.Object)
            return;
        if (message.TryGetProperty("event", out var name))
        {
            _events.Writer.TryWrite(new QmpEvent(name.GetString() ?? "", message.TryGetProperty("data", out var data) ? data : EmptyObject,
                Timestamp(message)));
            return;
        }
        if (!message.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var id) || !_pending.TryRemove(id, out var pending))
            return; // an answer nobody waits for any more (timed out), or one to a command without id
        if (message.TryGetProperty("return", out var result))
        {
            pending.Answer.TrySetResult(result);
        }
        else if (message.TryGetProperty("error", out var error))
        {
            var (errorClass, description) = QapiWire.Error(error, line);
            pending.Answer.TrySetException(new QmpException(pending.Command, errorClass, description));
        }
        else
        {
            pending.Answer.TrySetException(new IOException($"QEMU answered QMP {pending.Command} with neither return nor error: {QapiWire.Truncate(line)}"));
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static DateTimeOffset Timestamp(JsonElement message)
    {
        if (message.TryGetProperty("timestamp", out var stamp) && stamp.TryGetProperty("seconds", out var seconds)
            && stamp.TryGetProperty("microseconds", out var micros) && seconds.TryGetInt64(out var s) && micros.TryGetInt64(out var us))
            return DateTimeOffset.FromUnixTimeSeconds(s).AddTicks(us * 10);
        return DateTimeOffset.UtcNow;
    }

    public async ValueTask DisposeAsync()
    {
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
        try
        {
            await _readLoop;
        }
        catch (IOException)
        {
            // a malformed line ended the loop; the connection is gone either way
        }
        _closed.TrySetResult();
        _events.Writer.TryComplete();
        _reader.Dispose();
        await _stream.DisposeAsync();
        _writeGate.Dispose();
        _stop.Dispose();
    }
}
