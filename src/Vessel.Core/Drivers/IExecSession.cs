namespace Vessel.Core.Drivers;

/// <summary>A command to run inside a running instance.</summary>
public sealed record ExecRequest
{
    public required IReadOnlyList<string> Command { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? WorkingDirectory { get; init; }
    public uint User { get; init; }
    public uint Group { get; init; }
    /// <summary>Run on a terminal (stdin, stdout and stderr all on it) instead of three pipes.</summary>
    public bool Terminal { get; init; }
}

/// <summary>A process started by exec: its standard streams and its end.</summary>
public interface IExecSession : IAsyncDisposable
{
    /// <summary>The process's stdin (or the terminal). Dispose it to send end-of-file.</summary>
    Stream Input { get; }
    /// <summary>Its stdout, or the terminal.</summary>
    Stream Output { get; }
    /// <summary>Its stderr; null on a terminal.</summary>
    Stream? Error { get; }
    /// <summary>Completes with the exit code (128 + signal when killed).</summary>
    Task<int> Exited { get; }
    void Resize(int columns, int rows);
    /// <summary>Ends the process (SIGKILL), as when its client went away.</summary>
    void Kill();
}
