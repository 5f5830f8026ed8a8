namespace Vessel.Daemon;

/// <summary>Every message the daemon logs, with a fixed event id.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "vesseld {Version} serving on {Socket} (state in {StateDirectory})")]
    public static partial void Serving(ILogger logger, string version, string socket, string stateDirectory);

    [LoggerMessage(2, LogLevel.Information, "engine {Type}: {Name} {Version}, operational: {Operational} ({Detail})")]
    public static partial void EngineProbed(ILogger logger, string type, string name, string version, bool operational, string detail);

    [LoggerMessage(3, LogLevel.Warning, "operation {Id} ({Description}) was interrupted by a daemon stop and is marked failed")]
    public static partial void OperationInterrupted(ILogger logger, string id, string description);

    [LoggerMessage(4, LogLevel.Information, "removed leftover {Path}")]
    public static partial void LeftoverRemoved(ILogger logger, string path);

    [LoggerMessage(5, LogLevel.Information, "instance {Name}: store said {Stored}, engine says {Actual}")]
    public static partial void InstanceReconciled(ILogger logger, string name, string stored, string actual);

    [LoggerMessage(6, LogLevel.Warning, "instance {Name}: {Problem}")]
    public static partial void InstanceProblem(ILogger logger, string name, string problem);

    [LoggerMessage(7, LogLevel.Information, "operation {Id} ({Description}) ended {Status}{Error}")]
    public static partial void OperationEnded(ILogger logger, string id, string description, string status, string error);

    [LoggerMessage(8, LogLevel.Error, "unexpected error on {Method} {Path}")]
    public static partial void UnexpectedError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(9, LogLevel.Information, "created the default storage pool at {Source}")]
    public static partial void DefaultPoolCreated(ILogger logger, string source);

    [LoggerMessage(10, LogLevel.Warning, "network {Name}: {Problem}")]
    public static partial void NetworkProblem(ILogger logger, string name, string problem);

    [LoggerMessage(11, LogLevel.Warning, "no HTTPS listener: {Problem}")]
    public static partial void HttpsUnavailable(ILogger logger, string problem);

    [LoggerMessage(12, LogLevel.Warning, "instance {Name}: no scheduled snapshot: {Problem}")]
    public static partial void ScheduledSnapshotFailed(ILogger logger, string name, string problem);

    [LoggerMessage(13, LogLevel.Warning, "instance {Name}: expired snapshot {Snapshot} not deleted: {Problem}")]
    public static partial void ExpiredSnapshotNotDeleted(ILogger logger, string name, string snapshot, string problem);

    [LoggerMessage(14, LogLevel.Error, "snapshot scheduler: the pass of {Minute} failed")]
    public static partial void SchedulerPassFailed(ILogger logger, Exception exception, string minute);

    [LoggerMessage(15, LogLevel.Warning, "storage pool {Name} could not be mounted, its instances cannot start: {Problem}")]
    public static partial void PoolNotMounted(ILogger logger, string name, string problem);
}
