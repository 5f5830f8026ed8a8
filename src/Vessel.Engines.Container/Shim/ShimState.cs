namespace Vessel.Engines.Container;

/// <summary>
/// What the shim reports in state.json: the container's init while it runs, and how it ended. The driver
/// reads it to start, watch and re-adopt containers; the shim is its only writer.
/// </summary>
public sealed record ShimState
{
    public int ShimPid { get; init; }
    public int InitPid { get; init; }
    /// <summary>The init's start time in clock ticks since boot (/proc/PID/stat field 22), against pid reuse.</summary>
    public long InitStartTime { get; init; }
    public bool Running { get; init; }
    /// <summary>The console pty's slave on the host, e.g. /dev/pts/7, through which its size is set.</summary>
    public string? ConsolePath { get; init; }
    public int? ExitCode { get; init; }
    public string? Error { get; init; }
}
