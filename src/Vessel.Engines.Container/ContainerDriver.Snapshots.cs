using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Roots;

namespace Vessel.Engines.Container;

/// <summary>
/// Snapshots and copies of a container: its root (see <see cref="IContainerRoot"/>) cut while the container is frozen, so
/// that the snapshot or copy is one moment: a copy of an overlay's upper directory, or a btrfs snapshot.
/// </summary>
public sealed partial class ContainerDriver
{
    public void CheckSnapshot(InstanceContext context, bool stateful)
    {
        if (stateful)
            throw new NotSupportedYetException("stateful snapshots of containers need checkpointing (CRIU), which is not supported yet");
    }

    public Task<IReadOnlyList<string>?> StateDevicesAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>?>(null);

    public Task CreateSnapshotAsync(InstanceContext context, string snapshot, bool stateful, CancellationToken cancellationToken)
    {
        CheckSnapshot(context, stateful);
        return FrozenAsync(context, () => ContainerRoot.Of(context).SnapshotAsync(context, snapshot, cancellationToken));
    }

    /// <summary>Runs ACTION with a running container frozen, so that what it reads of the root is one moment.</summary>
    private async Task FrozenAsync(InstanceContext context, Func<Task> action)
    {
        var cgroup = CgroupOf(context);
        var freeze = RunningState(context) is not null && !cgroup.IsFrozen;
        if (freeze)
            cgroup.Freeze();
        try
        {
            await action();
        }
        finally
        {
            if (freeze)
                cgroup.Thaw();
        }
    }

    public async Task CopyAsync(InstanceContext context, InstanceContext source, string? snapshot, bool full, CancellationToken cancellationToken)
    {
        var tree = ContainerRoot.Of(source).Tree(source, snapshot)
            ?? throw new NotFoundException($"container {source.Instance.Name} has no {(snapshot is null ? "root" : $"data for snapshot \"{snapshot}\"")}");
        var root = ContainerRoot.Of(context);
        if (snapshot is null)
            await FrozenAsync(source, () => root.CopyAsync(context, ImageOf(context), tree, full, cancellationToken));
        else
            await root.CopyAsync(context, ImageOf(context), tree, full, cancellationToken);
        // An empty machine-id makes systemd give the copy an identity of its own at its first boot.
        var machineId = new FileInfo(Path.Combine(root.Tree(context, null)!.Path, "etc", "machine-id"));
        if (machineId is { Exists: true, LinkTarget: null } && machineId.Length > 0)
            File.WriteAllBytes(machineId.FullName, []);
    }

    public Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        if (RunningState(context) is not null)
            throw new ConflictException($"container {context.Instance.Name} is running; it is restored stopped");
        return ContainerRoot.Of(context).RestoreAsync(context, snapshot, cancellationToken);
    }

    public Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken) =>
        ContainerRoot.Of(context).DeleteSnapshotAsync(context, snapshot, cancellationToken);
}
