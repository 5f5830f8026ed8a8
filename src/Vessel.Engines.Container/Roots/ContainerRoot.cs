using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Container.Roots;

/// <summary>The image a container's root comes from, unpacked with the owners its id map gives them.</summary>
/// <param name="Path">The image file (images/FP/rootfs.tar.zst or oci.tar).</param>
internal sealed record RootImage(string Path, uint UidOffset, bool Privileged)
{
    public string Format => System.IO.Path.GetFileName(Path) is var name && name == "oci.tar" ? "oci" : name["rootfs.".Length..];

    /// <summary>The image's fingerprint: the name of the directory its file is in.</summary>
    public string Fingerprint => System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(Path))!;
}

/// <summary>How the container's root is mounted at its start: an overlay of LOWER and UPPER, or ROOTFS itself (bound on itself).</summary>
internal sealed record RootMount(string Rootfs, string? Lower = null, string? Upper = null, string? Work = null)
{
    /// <summary>Where the image's own files can be read before the start (its /sbin/init).</summary>
    public string Files => Lower ?? Rootfs;
}

/// <summary>
/// A container's root or one of its snapshots as a directory tree: the whole tree, or only what it changed over its
/// image (an overlay's upper directory, with whiteouts).
/// </summary>
internal sealed record RootTree(string Path, bool OnlyChanges);

/// <summary>
/// How a container's root is kept in its volume, one implementation per idea: <see cref="OverlayRoot"/> (an overlay
/// over the image unpacked once beside the image file: any pool) and <see cref="SnapshotRoot"/> (a writable snapshot of
/// the image unpacked once into a subvolume of the pool: btrfs). Every operation on a root goes through here.
/// </summary>
internal interface IContainerRoot
{
    /// <summary>Makes the root from the image in the prepared (empty) volume.</summary>
    Task CreateAsync(InstanceContext context, RootImage image, CancellationToken cancellationToken);

    /// <summary>What the container's init mounts as its root; applies what must hold while it runs (a quota).</summary>
    Task<RootMount> PrepareStartAsync(InstanceContext context, RootImage image, CancellationToken cancellationToken);

    /// <summary>Applies the root device's size (a quota) now, also while the container runs.</summary>
    Task ApplySizeAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>
    /// What the root and its snapshots occupy in the pool beyond the image (<see cref="Core.Drivers.IInstanceDriver.GetDiskUsageAsync"/>);
    /// null when the pool cannot tell cheaply.
    /// </summary>
    Task<long?> DiskBytesAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>The root (snapshot null) or a snapshot as a tree; null when there is no such snapshot.</summary>
    RootTree? Tree(InstanceContext context, string? snapshot);

    /// <summary>Takes the snapshot; the caller has frozen a running container.</summary>
    Task SnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken);

    /// <summary>Puts the snapshot in the root's place; the container is stopped.</summary>
    Task RestoreAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken);

    Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken);

    /// <summary>Makes the root, in the prepared volume, from another container's tree (the caller freezes a running source).</summary>
    /// <summary>Copies SOURCE as the instance's root: sharing its blocks where the filesystem can, unless FULL.</summary>
    Task CopyAsync(InstanceContext context, RootImage image, RootTree source, bool full, CancellationToken cancellationToken);

    /// <summary>Writes the stopped root (and its snapshots unless told not to) as one tar file.</summary>
    Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken);

    /// <summary>Makes the root in the prepared volume from an archive that either kind of root exported.</summary>
    Task ImportAsync(InstanceContext context, RootImage image, string archive, bool withSnapshots, CancellationToken cancellationToken);
}

internal static class ContainerRoot
{
    public const string Snapshots = "snapshots";

    /// <summary>The root of a container on its pool: snapshots where the pool has subvolumes, an overlay elsewhere.</summary>
    public static IContainerRoot Of(InstanceContext context) =>
        context.Subvolumes is { } subvolumes ? new SnapshotRoot(subvolumes) : OverlayRoot.Instance;

    private static readonly string Cp = HostCommand.Resolve("cp");

    /// <summary>Copies a tree with owners, modes, xattrs (overlay's whiteout and opaque marks) and device nodes, sharing blocks where it can.</summary>
    public static Task CopyTreeAsync(string source, string target, CancellationToken cancellationToken, bool shareBlocks = true) =>
        HostCommand.RunCheckedAsync(Cp, ["-a", Reflink(shareBlocks), "--", source, target], Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Copies what is inside SOURCE into the existing directory TARGET, as <see cref="CopyTreeAsync"/> does.</summary>
    public static Task CopyContentsAsync(string source, string target, CancellationToken cancellationToken, bool shareBlocks = true) =>
        HostCommand.RunCheckedAsync(Cp, ["-a", Reflink(shareBlocks), "--", source + "/.", target], Timeout.InfiniteTimeSpan, cancellationToken);

    private static string Reflink(bool shareBlocks) => shareBlocks ? "--reflink=auto" : "--reflink=never";

    public static void RemoveTree(string path)
    {
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    /// <summary>What an archive made by <see cref="IContainerRoot.ExportAsync"/> holds: a whole root (./rootfs) or an overlay's changes (./upper).</summary>
    public static async Task<bool> HoldsWholeRootAsync(string archive, CancellationToken cancellationToken)
    {
        foreach (var listed in await VolumeArchive.NamesAsync(archive, cancellationToken))
        {
            var name = listed.StartsWith("./", StringComparison.Ordinal) ? listed[2..] : listed;
            if (name == "rootfs" || name.StartsWith("rootfs/", StringComparison.Ordinal))
                return true;
            if (name == "upper" || name.StartsWith("upper/", StringComparison.Ordinal))
                return false;
        }
        throw new InvalidDataException("the backup's volume holds neither a root (rootfs) nor an overlay's changes (upper)");
    }
}
