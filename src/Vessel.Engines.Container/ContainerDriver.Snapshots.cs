using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Container;

/// <summary>
/// Snapshots of a container are copies of its overlay's upper directory (all it changed over its image) in
/// VOLUME/snapshots/NAME, made while the container is frozen so the copy is one moment. cp --reflink=auto makes
/// the copy share blocks where the pool's filesystem can (btrfs, xfs).
/// </summary>
public sealed partial class ContainerDriver
{
    private const string Snapshots = "snapshots";
    private static readonly string Cp = HostCommand.Resolve("cp");

    private static string SnapshotDirectory(InstanceContext context, string snapshot) => Path.Combine(context.RootVolumePath, Snapshots, snapshot);

    public void CheckSnapshot(InstanceContext context, bool stateful)
    {
        if (stateful)
            throw new NotSupportedYetException("stateful snapshots of containers need checkpointing (CRIU), which is not supported yet");
    }

    public async Task CreateSnapshotAsync(InstanceContext context, string snapshot, bool stateful, CancellationToken cancellationToken)
    {
        CheckSnapshot(context, stateful);
        var target = SnapshotDirectory(context, snapshot);
        if (Directory.Exists(target))
            throw new ConflictException($"container {context.Instance.Name} already has snapshot data for \"{snapshot}\"");
        var partial = target + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            RemoveTree(partial);
            Directory.CreateDirectory(partial);
            await CopyUpperAsync(context, Path.Combine(partial, Upper), cancellationToken);
            Directory.Move(partial, target);
        }
        catch
        {
            RemoveTree(partial);
            throw;
        }
    }

    /// <summary>Copies the container's upper directory as it is at one moment: a running container is frozen meanwhile.</summary>
    private async Task CopyUpperAsync(InstanceContext context, string target, CancellationToken cancellationToken)
    {
        var cgroup = CgroupOf(context);
        var freeze = RunningState(context) is not null && !cgroup.IsFrozen;
        if (freeze)
            cgroup.Freeze();
        try
        {
            await CopyTreeAsync(Path.Combine(context.RootVolumePath, Upper), target, cancellationToken);
        }
        finally
        {
            if (freeze)
                cgroup.Thaw();
        }
    }

    public async Task CopyAsync(InstanceContext context, InstanceContext source, string? snapshot, CancellationToken cancellationToken)
    {
        await CreateAsync(context, cancellationToken);
        var upper = Path.Combine(context.RootVolumePath, Upper);
        Directory.Delete(upper);
        if (snapshot is not null)
            await CopyTreeAsync(Path.Combine(SnapshotDirectory(source, snapshot), Upper), upper, cancellationToken);
        else
            await CopyUpperAsync(source, upper, cancellationToken);
        // An empty machine-id makes systemd give the copy an identity of its own at its first boot.
        var machineId = new FileInfo(Path.Combine(upper, "etc", "machine-id"));
        if (machineId is { Exists: true, LinkTarget: null } && machineId.Length > 0)
            File.WriteAllBytes(machineId.FullName, []);
    }

    public async Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        if (RunningState(context) is not null)
            throw new ConflictException($"container {context.Instance.Name} is running; it is restored stopped");
        var source = Path.Combine(SnapshotDirectory(context, snapshot), Upper);
        if (!Directory.Exists(source))
            throw new NotFoundException($"container {context.Instance.Name} has no data for snapshot \"{snapshot}\"");
        var upper = Path.Combine(context.RootVolumePath, Upper);
        var previous = $"{upper}.before-restore";
        var incoming = $"{upper}.restoring";
        // A restore that a daemon stop cut off between the two renames: the previous upper is the whole one.
        if (!Directory.Exists(upper) && Directory.Exists(previous))
            Directory.Move(previous, upper);
        RemoveTree(previous);
        RemoveTree(incoming);
        try
        {
            await CopyTreeAsync(source, incoming, cancellationToken);
        }
        catch
        {
            RemoveTree(incoming);
            throw;
        }
        Directory.Move(upper, previous);
        Directory.Move(incoming, upper);
        RemoveTree(previous);
    }

    public Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        RemoveTree(SnapshotDirectory(context, snapshot));
        return Task.CompletedTask;
    }

    /// <summary>Copies a tree with owners, modes, xattrs (overlay's whiteout and opaque marks) and device nodes.</summary>
    private static Task CopyTreeAsync(string source, string target, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Cp, ["-a", "--reflink=auto", "--", source, target], cancellationToken: cancellationToken);

    private static void RemoveTree(string path)
    {
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }
}
