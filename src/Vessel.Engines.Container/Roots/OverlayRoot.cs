using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Linux;
using static Vessel.Engines.Container.Roots.ContainerRoot;

namespace Vessel.Engines.Container.Roots;

/// <summary>
/// A root that is an overlay: the image unpacked once beside the image file (shared by every container of it) under
/// VOLUME/upper, which holds all the container changed. Snapshots are copies of the upper directory in
/// VOLUME/snapshots/NAME/upper (cp --reflink=auto shares blocks where the filesystem can). Works on any pool.
/// </summary>
internal sealed class OverlayRoot : IContainerRoot
{
    private const string Upper = "upper", Work = "work", Rootfs = "rootfs";

    public static OverlayRoot Instance { get; } = new();

    private static string SnapshotUpper(InstanceContext context, string snapshot) => Path.Combine(context.RootVolumePath, Snapshots, snapshot, Upper);

    public async Task CreateAsync(InstanceContext context, RootImage image, CancellationToken cancellationToken)
    {
        await ImageCache.EnsureAsync(image, cancellationToken);
        var owner = (int)image.UidOffset;
        // An unprivileged container's mapped root has to reach its upper directory through the volume; a privileged
        // container's files must stay out of other host users' reach (a setuid binary made inside would be root here).
        File.SetUnixFileMode(context.RootVolumePath, (UnixFileMode)(image.Privileged ? 0b111_000_000 : 0b111_001_001));
        foreach (var (name, mode) in new[] { (Upper, 0b111_101_101), (Work, 0b111_000_000), (Rootfs, 0b111_101_101) })
        {
            var path = Path.Combine(context.RootVolumePath, name);
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, (UnixFileMode)mode);
            Ownership.Set(path, owner, owner);
        }
    }

    /// <summary>Nothing to apply: a dir pool keeps no quotas, so the daemon refuses a root size there.</summary>
    public Task ApplySizeAsync(InstanceContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<RootMount> PrepareStartAsync(InstanceContext context, RootImage image, CancellationToken cancellationToken) => new(
        Path.Combine(context.RootVolumePath, Rootfs),
        await ImageCache.EnsureAsync(image, cancellationToken),
        Path.Combine(context.RootVolumePath, Upper),
        Path.Combine(context.RootVolumePath, Work));

    /// <summary>The volume's upper directory, work directory and snapshots: the image unpacked beside its file is not in the pool.</summary>
    public async Task<long?> DiskBytesAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Directory.Exists(context.RootVolumePath) ? await DiskUsage.OfTreeAsync(context.RootVolumePath, cancellationToken) : null;

    public RootTree? Tree(InstanceContext context, string? snapshot)
    {
        var path = snapshot is null ? Path.Combine(context.RootVolumePath, Upper) : SnapshotUpper(context, snapshot);
        return Directory.Exists(path) ? new RootTree(path, OnlyChanges: true) : null;
    }

    public async Task SnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        var target = Path.GetDirectoryName(SnapshotUpper(context, snapshot))!;
        if (Directory.Exists(target))
            throw new ConflictException($"container {context.Instance.Name} already has snapshot data for \"{snapshot}\"");
        var partial = target + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            RemoveTree(partial);
            Directory.CreateDirectory(partial);
            await CopyTreeAsync(Path.Combine(context.RootVolumePath, Upper), Path.Combine(partial, Upper), cancellationToken);
            Directory.Move(partial, target);
        }
        catch
        {
            RemoveTree(partial);
            throw;
        }
    }

    public async Task RestoreAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        var source = SnapshotUpper(context, snapshot);
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
        RemoveTree(Path.Combine(context.RootVolumePath, Snapshots, snapshot));
        return Task.CompletedTask;
    }

    public async Task CopyAsync(InstanceContext context, RootImage image, RootTree source, bool full, CancellationToken cancellationToken)
    {
        if (!source.OnlyChanges)
            throw new NotSupportedYetException("a container on a btrfs pool cannot be copied to a pool without subvolumes yet; copy it to a btrfs pool");
        await CreateAsync(context, image, cancellationToken);
        var upper = Path.Combine(context.RootVolumePath, Upper);
        Directory.Delete(upper);
        await CopyTreeAsync(source.Path, upper, cancellationToken, shareBlocks: !full);
    }

    public Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken) =>
        VolumeArchive.WriteAsync(context.RootVolumePath, archive, withSnapshots ? [Work, Rootfs] : [Work, Rootfs, Snapshots], cancellationToken);

    public async Task ImportAsync(InstanceContext context, RootImage image, string archive, bool withSnapshots, CancellationToken cancellationToken)
    {
        if (await HoldsWholeRootAsync(archive, cancellationToken))
            throw new NotSupportedYetException("this backup is of a container on a btrfs pool; import it into a btrfs pool (--storage POOL)");
        await CreateAsync(context, image, cancellationToken);
        await VolumeArchive.ExtractAsync(archive, context.RootVolumePath, cancellationToken);
        if (!withSnapshots)
            RemoveTree(Path.Combine(context.RootVolumePath, Snapshots));
    }
}
