using System.Globalization;
using System.IO.Pipelines;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qga;

namespace Vessel.Engines.Qemu;

/// <summary>
/// One command run through the guest agent (guest-exec, then guest-exec-status until it has exited). The agent cannot
/// stream: it hands the command all of its stdin when it starts, so the command starts once <see cref="Input"/> is closed,
/// and it gives stdout and stderr whole once the command has exited, up to 16 MiB each. The agent has no working directory
/// (qemu-ga 7.2) and no user switching: sh changes directory, setpriv changes user.
/// </summary>
internal sealed class AgentExecSession : IExecSession
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10), SlowestPoll = TimeSpan.FromMilliseconds(200);

    private readonly GuestAgent _agent;
    private readonly IReadOnlyList<string> _argv;
    private readonly IReadOnlyList<string> _environment;
    private readonly Pipe _output = new(), _error = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _gone = new();
    private readonly Lock _lock = new();
    private long? _pid;
    private bool _started, _killed;

    public AgentExecSession(GuestAgent agent, ExecRequest request)
    {
        _agent = agent;
        _argv = CommandLine(request);
        _environment = request.FullEnvironment();
        Input = new InputBuffer(Start);
        Output = _output.Reader.AsStream();
        Error = _error.Reader.AsStream();
    }

    /// <summary>What guest-exec runs: through setpriv for another user, through sh for a working directory other than /
    /// (the agent's own); root works in /root unless asked otherwise, as in containers.</summary>
    internal static IReadOnlyList<string> CommandLine(ExecRequest request)
    {
        IReadOnlyList<string> argv = request.Command;
        var directory = request.WorkingDirectory ?? (request.User == 0 ? "/root" : "/");
        if (directory != "/")
            argv = ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", directory, .. argv];
        if (request.User != 0 || request.Group != 0)
            argv = ["setpriv", string.Create(CultureInfo.InvariantCulture, $"--reuid={request.User}"),
                string.Create(CultureInfo.InvariantCulture, $"--regid={request.Group}"), "--clear-groups", "--", .. argv];
        return argv;
    }

    public Stream Input { get; }
    public Stream Output { get; }
    public Stream? Error { get; }
    public Task<int> Exited => _exited.Task;
    public bool InputAtStart => true;

    public void Resize(int columns, int rows)
    {
    }

    private void Start(byte[] input)
    {
        lock (_lock)
        {
            if (_started || _killed)
                return;
            _started = true;
        }
        _ = RunAsync(input, _gone.Token);
    }

    private async Task RunAsync(byte[] input, CancellationToken token)
    {
        try
        {
            var pid = await _agent.CallAsync(agent => agent.ExecAsync(_argv[0], _argv.Skip(1).ToList(), _environment,
                input.Length > 0 ? input : (ReadOnlyMemory<byte>?)null, captureOutput: true, token), token);
            bool killed;
            lock (_lock)
            {
                _pid = pid;
                killed = _killed;
            }
            if (killed)
                KillInGuest(pid);
            var wait = FirstPoll;
            while (true)
            {
                var status = await _agent.CallAsync(agent => agent.ExecStatusAsync(pid, token), token);
                if (status.Exited)
                {
                    await _output.Writer.WriteAsync(status.Output, token);
                    await _error.Writer.WriteAsync(status.Error, token);
                    if (status.OutputTruncated || status.ErrorTruncated)
                        await _error.Writer.WriteAsync("vessel: the guest agent cut the output short (it keeps 16 MiB of each stream)\n"u8.ToArray(), token);
                    _exited.TrySetResult(status.Signal is { } signal ? 128 + signal : status.ExitCode ?? 1);
                    return;
                }
                await Task.Delay(wait, token);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, SlowestPoll.Ticks));
            }
        }
        catch (GuestAgentException e)
        {
            _exited.TrySetException(new BadRequestException($"cannot run {_argv[0]} in virtual machine \"{_agent.VmName}\": {e.Description}"));
        }
        catch (Exception e)
        {
            _exited.TrySetException(e);
        }
        finally
        {
            await _output.Writer.CompleteAsync();
            await _error.Writer.CompleteAsync();
        }
    }

    public void Kill()
    {
        long? pid;
        lock (_lock)
        {
            if (_killed || _exited.Task.IsCompleted)
                return;
            _killed = true;
            pid = _pid;
            if (!_started)
            {
                _output.Writer.Complete();
                _error.Writer.Complete();
                _exited.TrySetResult(128 + 9);
                return;
            }
        }
        if (pid is { } started)
            KillInGuest(started);
    }

    /// <summary>The agent cannot signal a process it started: a shell in the guest does (kill is a builtin of sh).</summary>
    private void KillInGuest(long pid) => _ = _agent.CallAsync(agent => agent.ExecAsync("/bin/sh",
        ["-c", string.Create(CultureInfo.InvariantCulture, $"kill -KILL {pid}")], [], null, captureOutput: false, CancellationToken.None),
        CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
            _killed = true; // a command not started by now never starts
        await _gone.CancelAsync();
        await Input.DisposeAsync();
    }
}

/// <summary>stdin for the agent: written bytes are kept; closing the stream hands them all over, once.</summary>
internal sealed class InputBuffer(Action<byte[]> closed) : Stream
{
    private readonly MemoryStream _bytes = new();
    private int _closed;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => _closed == 0;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_closed != 0, this);
        _bytes.Write(buffer, offset, count);
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _closed, 1) == 0)
            closed(_bytes.ToArray());
        base.Dispose(disposing);
    }
}
