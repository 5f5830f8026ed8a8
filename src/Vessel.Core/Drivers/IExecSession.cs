namespace Vessel.Core.Drivers;

/// <summary>A command to run inside a running instance.</summary>
public sealed record ExecRequest
{
    /// <summary>Where a command without a slash is looked for, and the default PATH.</summary>
    public static readonly IReadOnlyList<string> SearchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    public required IReadOnlyList<string> Command { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? WorkingDirectory { get; init; }
    public uint User { get; init; }
    public uint Group { get; init; }
    /// <summary>Run on a terminal (stdin, stdout and stderr all on it) instead of three pipes.</summary>
    public bool Terminal { get; init; }

    /// <summary>The command's whole environment as K=V: PATH, HOME and TERM, then the engine's own, then the request's, later ones winning.</summary>
    public IReadOnlyList<string> FullEnvironment(IReadOnlyDictionary<string, string>? engineDefaults = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = string.Join(':', SearchPath),
            ["HOME"] = User == 0 ? "/root" : "/",
            ["TERM"] = Terminal ? "xterm-256color" : "dumb",
        };
        foreach (var (key, value) in (engineDefaults ?? new Dictionary<string, string>()).Concat(Environment))
            environment[key] = value;
        return [.. environment.Select(e => $"{e.Key}={e.Value}")];
    }
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
    /// <summary>
    /// True when the process gets its whole stdin at once when it starts, which is when <see cref="Input"/> is
    /// disposed (a VM's guest agent cannot stream stdin): a client with nothing to send should end its input at once.
    /// </summary>
    bool InputAtStart => false;
    void Resize(int columns, int rows);
    /// <summary>Ends the process (SIGKILL), as when its client went away.</summary>
    void Kill();
}
