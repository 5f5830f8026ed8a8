using Vessel.Core.Model;

namespace Vessel.Core.Scheduling;

/// <summary>The instance config keys of scheduled snapshots and their expiry, named as in Incus, read from an instance.</summary>
public static class SnapshotConfig
{
    public const string Schedule = "snapshots.schedule";
    public const string ScheduleStopped = "snapshots.schedule.stopped";
    public const string Pattern = "snapshots.pattern";
    public const string Expiry = "snapshots.expiry";

    /// <summary>The instance's schedule; null when it has none.</summary>
    public static CronSchedule? ScheduleOf(Instance instance) =>
        instance.Config.TryGetValue(Schedule, out var value) ? CronSchedule.Parse(Schedule, value) : null;

    /// <summary>Whether the schedule applies now: a running (or paused) instance, or a stopped one when snapshots.schedule.stopped is true.</summary>
    public static bool ScheduleApplies(Instance instance) => instance.Status switch
    {
        InstanceStatus.Running or InstanceStatus.Frozen => true,
        InstanceStatus.Stopped => instance.Config.GetValueOrDefault(ScheduleStopped) == "true",
        _ => false,
    };

    public static string PatternOf(Instance instance) => instance.Config.GetValueOrDefault(Pattern, SnapshotPattern.Default);

    /// <summary>When a snapshot taken at the given time expires by snapshots.expiry; null when the key is not set.</summary>
    public static DateTimeOffset? ExpiresAt(Instance instance, DateTimeOffset takenAt) =>
        instance.Config.TryGetValue(Expiry, out var value) ? Scheduling.Expiry.Parse(Expiry, value).After(takenAt) : null;
}
