using Vessel.Core.Model;

namespace Vessel.Core;

public enum InstanceAction { Start, Stop, Restart, Freeze, Unfreeze }

/// <summary>
/// The one instance lifecycle for every engine: which action may start from which status, the transitional
/// status it passes through and the status it settles in.
/// </summary>
public static class Lifecycle
{
    public static InstanceAction ParseAction(string action) => action switch
    {
        "start" => InstanceAction.Start,
        "stop" => InstanceAction.Stop,
        "restart" => InstanceAction.Restart,
        "freeze" or "pause" => InstanceAction.Freeze,
        "unfreeze" or "resume" => InstanceAction.Unfreeze,
        _ => throw new BadRequestException($"action: \"{action}\" is not one of start, stop, restart, freeze, unfreeze"),
    };

    /// <summary>The status an instance holds while the action runs. Throws 409 when the action is illegal now.</summary>
    public static InstanceStatus Begin(string name, InstanceStatus current, InstanceAction action, bool force)
    {
        var (allowed, forced, during) = action switch
        {
            InstanceAction.Start => (new[] { InstanceStatus.Stopped, InstanceStatus.Error }, Array.Empty<InstanceStatus>(), InstanceStatus.Starting),
            InstanceAction.Stop => ([InstanceStatus.Running, InstanceStatus.Frozen],
                [InstanceStatus.Starting, InstanceStatus.Stopping, InstanceStatus.Error], InstanceStatus.Stopping),
            InstanceAction.Restart => ([InstanceStatus.Running], [InstanceStatus.Frozen, InstanceStatus.Error], InstanceStatus.Stopping),
            InstanceAction.Freeze => ([InstanceStatus.Running], [], InstanceStatus.Running),
            InstanceAction.Unfreeze => ([InstanceStatus.Frozen], [], InstanceStatus.Frozen),
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };
        if (allowed.Contains(current) || (force && forced.Contains(current)))
            return during;
        var hint = forced.Contains(current) ? " (use --force)" : "";
        throw new ConflictException($"cannot {Verb(action)} instance \"{name}\": it is {current}{hint}");
    }

    /// <summary>The status an instance settles in when the action succeeds.</summary>
    public static InstanceStatus Settled(InstanceAction action) => action switch
    {
        InstanceAction.Start or InstanceAction.Restart or InstanceAction.Unfreeze => InstanceStatus.Running,
        InstanceAction.Stop => InstanceStatus.Stopped,
        InstanceAction.Freeze => InstanceStatus.Frozen,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    /// <summary>
    /// Whether the action ends one under way instead of waiting for it to end: a forced stop of an instance that is starting
    /// or stopping, which is how a start or stop that hangs is ended.
    /// </summary>
    public static bool EndsActionUnderWay(InstanceStatus current, InstanceAction action, bool force) =>
        action == InstanceAction.Stop && force && current is InstanceStatus.Starting or InstanceStatus.Stopping;

    /// <summary>Deleting needs a stopped instance; force stops it first.</summary>
    public static void CheckDelete(string name, InstanceStatus current, bool force)
    {
        if (current is InstanceStatus.Stopped or InstanceStatus.Error || force)
            return;
        throw new ConflictException($"cannot delete instance \"{name}\": it is {current} (stop it first or use --force)");
    }

    public static string Verb(InstanceAction action) => action.ToString().ToLowerInvariant();
}
