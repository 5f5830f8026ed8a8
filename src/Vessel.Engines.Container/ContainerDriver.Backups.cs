using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Roots;

namespace Vessel.Engines.Container;

/// <summary>A container's backup is its root as its pool keeps it (an overlay's upper directory, or the whole btrfs root) with its snapshots': the image travels beside it.</summary>
public sealed partial class ContainerDriver
{
    public Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, bool incremental, CancellationToken cancellationToken)
    {
        if (incremental)
            throw new NotSupportedYetException("incremental exports are for virtual machines yet (their disks record what changed); export the container whole");
        if (RunningState(context) is not null)
            throw new ConflictException($"container {context.Instance.Name} is running; stop it to export it (it would change while it is read)");
        return ContainerRoot.Of(context).ExportAsync(context, archive, withSnapshots, cancellationToken);
    }

    public Task ExportEndedAsync(InstanceContext context, bool delivered, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RecordChangesFromNowAsync(InstanceContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ApplyIncrementAsync(InstanceContext context, string archive, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException("incremental backups are for virtual machines yet");

    public Task ImportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken) =>
        ContainerRoot.Of(context).ImportAsync(context, ImageOf(context), archive, withSnapshots, cancellationToken);
}
