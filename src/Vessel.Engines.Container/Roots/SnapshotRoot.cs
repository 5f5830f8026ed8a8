using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Validation;
using Vessel.Linux;
using static Vessel.Engines.Container.Roots.ContainerRoot;

namespace Vessel.Engines.Container.Roots;

/// <summary>
/// A root that is a writable snapshot (VOLUME/rootfs) of the image unpacked once into a read-only subvolume of the same
/// pool, as Incus keeps containers on btrfs: made in O(1), no overlay at run time. Its snapshots are read-only snapshots
/// (VOLUME/snapshots/NAME), a restore puts a writable snapshot of one in the root's place, a copy is a snapshot. The
/// volume's deletion takes the nested subvolumes with it. The root device's size is a qgroup limit on VOLUME/rootfs.
/// </summary>
internal sealed class SnapshotRoot(ISubvolumes subvolumes) : IContainerRoot
{
    private const string Rootfs = "rootfs";

    private static string RootPath(InstanceContext context) => Path.Combine(context.RootVolumePath, Rootfs);

    private static string SnapshotPath(InstanceContext context, string snapshot) => Path.Combine(context.RootVolumePath, Snapshots, snapshot);

    /// <summary>Only the owner passes into a privileged container's volume; an unprivileged one's mapped root must pass too.</summary>
    private static void ProtectVolume(InstanceContext context, RootImage image) =>
        File.SetUnixFileMode(context.RootVolumePath, (UnixFileMode)(image.Privileged ? 0b111_000_000 : 0b111_001_001));

    public async Task CreateAsync(InstanceContext context, RootImage image, CancellationToken cancellationToken)
    {
        var unpacked = await ImageCache.EnsureAsync(image, subvolumes, cancellationToken);
        ProtectVolume(context, image);
        await subvolumes.SnapshotAsync(unpacked, RootPath(context), readOnly: false, cancellationToken);
    }

    public async Task<RootMount> PrepareStartAsync(InstanceContext context, RootImage image, CancellationToken cancellationToken)
    {
        await ApplySizeAsync(context, cancellationToken);
        return new RootMount(RootPath(context));
    }

    public Task ApplySizeAsync(InstanceContext context, CancellationToken cancellationToken) =>
        subvolumes.SetQuotaAsync(RootPath(context), DeviceSchema.RootSize(context.Instance.Devices), cancellationToken);

    /// <summary>
    /// The exclusive bytes of the root's subvolume and of each snapshot's: the blocks they share with the image, or the
    /// root with a snapshot, are not counted. Without quotas on the pool, null.
    /// </summary>
    public async Task<long?> DiskBytesAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(RootPath(context)) || await subvolumes.ExclusiveBytesAsync(RootPath(context), cancellationToken) is not { } total)
            return null;
        var snapshots = Path.Combine(context.RootVolumePath, Snapshots);
        if (Directory.Exists(snapshots))
        {
            foreach (var snapshot in Directory.EnumerateDirectories(snapshots))
                total += await subvolumes.ExclusiveBytesAsync(snapshot, cancellationToken) ?? 0;
        }
        return total;
    }

    public RootTree? Tree(InstanceContext context, string? snapshot)
    {
        var path = snapshot is null ? RootPath(context) : SnapshotPath(context, snapshot);
        return Directory.Exists(path) ? new RootTree(path, OnlyChanges: false) : null;
    }

    public async Task SnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        var target = SnapshotPath(context, snapshot);
        if (Directory.Exists(target))
            throw new ConflictException($"container {context.Instance.Name} already has snapshot data for \"{snapshot}\"");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await subvolumes.SnapshotAsync(RootPath(context), target, readOnly: true, cancellationToken);
    }

    public async Task RestoreAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        var source = SnapshotPath(context, snapshot);
        if (!Directory.Exists(source))
            throw new NotFoundException($"container {context.Instance.Name} has no data for snapshot \"{snapshot}\"");
        var root = RootPath(context);
        var previous = $"{root}.before-restore";
        var incoming = $"{root}.restoring";
        // A restore that a daemon stop cut off between the two renames: the previous root is the whole one.
        if (!Directory.Exists(root) && Directory.Exists(previous))
            Directory.Move(previous, root);
        await subvolumes.DeleteAsync(previous, cancellationToken);
        await subvolumes.DeleteAsync(incoming, cancellationToken);
        await subvolumes.SnapshotAsync(source, incoming, readOnly: false, cancellationToken);
        Directory.Move(root, previous);
        Directory.Move(incoming, root);
        await subvolumes.DeleteAsync(previous, cancellationToken);
        await ApplySizeAsync(context, cancellationToken); // the new subvolume has no limit of its own yet
    }

    public Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken) =>
        subvolumes.DeleteAsync(SnapshotPath(context, snapshot), cancellationToken);

    public async Task CopyAsync(InstanceContext context, RootImage image, RootTree source, bool full, CancellationToken cancellationToken)
    {
        ProtectVolume(context, image);
        var root = RootPath(context);
        if (!source.OnlyChanges)
        {
            // A snapshot when the source is on this pool's filesystem; a copy of its files (blocks shared where cp can) from another.
            try
            {
                if (!full)
                {
                    await subvolumes.SnapshotAsync(source.Path, root, readOnly: false, cancellationToken);
                    return;
                }
            }
            catch (HostCommandException) when (!Directory.Exists(root))
            {
            }
            await subvolumes.CreateAsync(root, cancellationToken);
            await CopyContentsAsync(source.Path, root, cancellationToken, shareBlocks: !full);
            return;
        }
        // An overlay's changes: the whole root they make over their image, read through a read-only overlay.
        await subvolumes.CreateAsync(root, cancellationToken);
        await CopyMergedAsync(context, image, source.Path, root, cancellationToken);
    }

    private static async Task CopyMergedAsync(InstanceContext context, RootImage image, string upper, string target, CancellationToken cancellationToken)
    {
        var lower = await ImageCache.EnsureAsync(image, cancellationToken);
        var mountPoint = Path.Combine(context.RootVolumePath, ".merged");
        Directory.CreateDirectory(mountPoint);
        try
        {
            await VolumeArchive.CopyMergedAsync([upper, lower], userXattrs: !image.Privileged, mountPoint, target, cancellationToken);
        }
        finally
        {
            Directory.Delete(mountPoint);
        }
    }

    public Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken) =>
        VolumeArchive.WriteAsync(context.RootVolumePath, archive, withSnapshots ? [] : [Snapshots], cancellationToken);

    public async Task ImportAsync(InstanceContext context, RootImage image, string archive, bool withSnapshots, CancellationToken cancellationToken)
    {
        ProtectVolume(context, image);
        var whole = await HoldsWholeRootAsync(archive, cancellationToken);
        // Unpacked beside, then each tree moved into a subvolume of its own (cp --reflink: the blocks are not copied again).
        var unpacked = Path.Combine(context.RootVolumePath, ".import");
        Directory.CreateDirectory(unpacked);
        try
        {
            await VolumeArchive.ExtractAsync(archive, unpacked, cancellationToken);
            await ImportTreeAsync(context, image, Path.Combine(unpacked, whole ? Rootfs : "upper"), whole, RootPath(context), readOnly: false, cancellationToken);
            var snapshots = Path.Combine(unpacked, Snapshots);
            if (withSnapshots && Directory.Exists(snapshots))
            {
                Directory.CreateDirectory(Path.Combine(context.RootVolumePath, Snapshots));
                foreach (var snapshot in Directory.EnumerateDirectories(snapshots))
                {
                    var tree = whole ? snapshot : Path.Combine(snapshot, "upper");
                    await ImportTreeAsync(context, image, tree, whole, SnapshotPath(context, Path.GetFileName(snapshot)), readOnly: true, cancellationToken);
                }
            }
        }
        finally
        {
            RemoveTree(unpacked);
        }
    }

    private async Task ImportTreeAsync(InstanceContext context, RootImage image, string tree, bool whole, string target, bool readOnly,
        CancellationToken cancellationToken)
    {
        await subvolumes.CreateAsync(target, cancellationToken);
        if (whole)
            await CopyContentsAsync(tree, target, cancellationToken);
        else
            await CopyMergedAsync(context, image, tree, target, cancellationToken);
        if (readOnly)
            await subvolumes.SetReadOnlyAsync(target, true, cancellationToken);
    }
}
