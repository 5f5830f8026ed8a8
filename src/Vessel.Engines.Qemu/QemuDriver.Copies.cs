using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Copies of a VM. A linked copy shares the source's blocks: reflinked where the pool's filesystem can (btrfs, XFS), and
/// elsewhere the source's disk becomes a read-only base (see <see cref="VmImages.IsBase"/>) that the source and the copy each
/// go on from in an overlay of their own. A full copy shares nothing with the source but the image. Neither keeps the
/// source's snapshots.
/// </summary>
public sealed partial class QemuDriver
{
    private static readonly string Cp = HostCommand.Resolve("cp");

    /// <summary>How many bases a disk may read before a linked copy copies its top disk instead of freezing it as one more.</summary>
    private const int MaxBases = 8;

    public async Task CopyAsync(InstanceContext context, InstanceContext source, string? snapshot, bool full, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(source, cancellationToken);
        var disk = VmImages.RootDiskPath(source.RootVolumePath);
        if (!File.Exists(disk))
        {
            await CreateAsync(context, cancellationToken); // a kernel-only VM has nothing of its own to copy
            return;
        }
        Directory.CreateDirectory(context.RootVolumePath);
        var copy = VmImages.RootDiskPath(context.RootVolumePath);
        await DropCutsAsync(source, cancellationToken);
        if (snapshot is not null)
        {
            await CopySnapshotAsync(context, source, snapshot, full, cancellationToken);
            return;
        }
        if (RunningState(PathsOf(source)) is not null)
        {
            await CopyRunningAsync(context, source, full, cancellationToken);
            return;
        }
        if (!full && await CopyFileAsync(disk, copy, "--reflink=always", cancellationToken) is null)
        {
            await CopyBasesAsync(source.RootVolumePath, context.RootVolumePath, cancellationToken);
            await DropInternalSnapshotsAsync(copy, cancellationToken);
            return;
        }
        // A base must never change again, and the source's snapshots would be left behind in it. A long chain is not made
        // longer: every read of a cluster the top disk lacks walks down it. In another pool a base could not be shared.
        if (!full && context.Instance.Pool == source.Instance.Pool && await DiskInfoAsync(disk, cancellationToken) is { Snapshots.Count: 0 } info &&
            VmImages.Chain(source.RootVolumePath).Count <= MaxBases)
        {
            await ShareAsBaseAsync(context, source.RootVolumePath, info, cancellationToken);
            return;
        }
        if (await CopyFileAsync(disk, copy, full ? "--reflink=never" : "--reflink=auto", cancellationToken) is { } error)
            throw new VesselException(500, $"copying the disk of {source.Instance.Name} failed: {error}");
        if (full)
            await DetachFromBasesAsync(context, copy, source.RootVolumePath, cancellationToken);
        else
            await CopyBasesAsync(source.RootVolumePath, context.RootVolumePath, cancellationToken);
        await DropInternalSnapshotsAsync(copy, cancellationToken);
    }

    /// <summary>
    /// A running VM's disk as it is at one moment: a temporary internal snapshot holds it (taken with the guest's filesystems
    /// frozen when its agent answers, else as a crash would leave it), copied as any snapshot is, then dropped. The copy costs
    /// what the VM wrote over its backing. Freezing the running disk into a base in O(1) (blockdev-snapshot onto a new
    /// overlay) is not done: QEMU reopens the old top read-only by its file name as it moves, so the new overlay cannot be
    /// renamed in before (QEMU then reads the overlay as the base, and the source's disk loses data), and renamed in after, a crash
    /// in between loses what the VM wrote since, and the overlay's name that QEMU would reopen it by is gone.
    /// </summary>
    private async Task CopyRunningAsync(InstanceContext context, InstanceContext source, bool full, CancellationToken cancellationToken)
    {
        var cut = $"{CutPrefix}{Guid.NewGuid():N}";
        var vm = await MonitorOfAsync(source, cancellationToken);
        await SnapshotRunningDiskAsync(source, vm, cut, cancellationToken);
        try
        {
            await CopySnapshotAsync(context, source, cut, full, cancellationToken);
        }
        finally
        {
            await DeleteSnapshotUnlockedAsync(source, cut, CancellationToken.None);
        }
    }

    /// <summary>
    /// Names the temporary snapshot of a running VM's copy. No snapshot a user makes has a dot in its name (names are DNS
    /// labels), so one that a crash left behind is known for what it is.
    /// </summary>
    private const string CutPrefix = "vessel.copy-";

    /// <summary>Drops the temporary snapshots that copies cut off by a crash left in the disk: they would keep it from becoming a base.</summary>
    private async Task DropCutsAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        var snapshots = RunningState(PathsOf(context)) is null
            ? (await DiskInfoAsync(disk, cancellationToken)).Snapshots
            : (await RootNodeAsync(await MonitorOfAsync(context, cancellationToken), cancellationToken)).Snapshots;
        foreach (var cut in snapshots.Where(s => s.StartsWith(CutPrefix, StringComparison.Ordinal)))
            await DeleteSnapshotUnlockedAsync(context, cut, cancellationToken);
    }

    /// <summary>
    /// The disk as the snapshot holds it, written as a new overlay over what the source's disk is an overlay of (only what
    /// differs from it). A snapshot's clusters never change, so the source may be running (-U: read without its lock).
    /// </summary>
    private async Task CopySnapshotAsync(InstanceContext context, InstanceContext source, string snapshot, bool full, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(source.RootVolumePath);
        var (backing, format) = VmImages.BackingFileOf(disk) is { } name && VmImages.IsBase(name)
            ? (full ? Path.Combine(source.RootVolumePath, name) : name, "qcow2")
            : await VmImages.BackingDiskAsync(context.ImagePath!, cancellationToken)
              ?? throw new BadRequestException("the virtual machine's image has no disk to back the copy");
        if (!full)
            await CopyBasesAsync(source.RootVolumePath, context.RootVolumePath, cancellationToken);
        var copy = VmImages.RootDiskPath(context.RootVolumePath);
        await QemuImgAsync(["convert", "-U", "-f", "qcow2", "-O", "qcow2", "-l", $"snapshot.name={snapshot}", "-B", backing, "-F", format, disk, copy],
            cancellationToken, TimeSpan.FromMinutes(30));
        if (full)
            await DetachFromBasesAsync(context, copy, source.RootVolumePath, cancellationToken);
    }

    /// <summary>
    /// Gives the copy an overlay over the source's disk as it is now, frozen as a base, beside a link to every base its
    /// chain reads: each instance's directory holds links to all of its bases, so a base is freed with its last user.
    /// A source that has written nothing of its own since its disk was made reads only what it is an overlay of (a base,
    /// or the image): the copy goes over that as well, and no base is made.
    /// </summary>
    private async Task ShareAsBaseAsync(InstanceContext context, string sourceDirectory, DiskInfo info, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(sourceDirectory);
        var (backing, format) = await HoldsClustersOfItsOwnAsync(disk, cancellationToken)
            ? (await FreezeAsync(sourceDirectory, [.. info.Bitmaps.Where(b => b.Value == "ok").Select(b => b.Key).Intersect([ExportBitmap, PendingBitmap])],
                cancellationToken), "qcow2")
            : VmImages.BackingFileOf(disk) is { } current && VmImages.IsBase(current)
                ? (current, "qcow2")
                : (await VmImages.BackingDiskAsync(context.ImagePath!, cancellationToken))!.Value;
        await CopyBasesAsync(sourceDirectory, context.RootVolumePath, cancellationToken);
        await QemuImgAsync(["create", "-q", "-f", "qcow2", "-b", backing, "-F", format, VmImages.RootDiskPath(context.RootVolumePath),
            info.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
    }

    /// <summary>
    /// Makes the source's disk a base: a hard link to it under a base's name, and a new overlay over that for the source,
    /// renamed over its disk (a crash leaves the old disk or the new one). Gives the base's name.
    /// </summary>
    private async Task<string> FreezeAsync(string sourceDirectory, IReadOnlyList<string> exportBitmaps, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(sourceDirectory);
        foreach (var stale in VmImages.BasesIn(sourceDirectory).Except(VmImages.Chain(sourceDirectory)))
            File.Delete(stale); // left by a freeze that a crash cut off before the new disk was renamed in
        var name = VmImages.NewBaseName();
        var frozen = Path.Combine(sourceDirectory, name);
        var successor = Path.Combine(sourceDirectory, $".{VmImages.RootDisk}.{Guid.NewGuid():N}.new");
        Ownership.HardLink(disk, frozen);
        try
        {
            await QemuImgAsync(["create", "-q", "-f", "qcow2", "-b", name, "-F", "qcow2", successor], cancellationToken);
            // What was written since the last export is still to go into the next increment.
            foreach (var bitmap in exportBitmaps)
                await QemuImgAsync(["bitmap", "--add", "--merge", bitmap, "-b", frozen, "-F", "qcow2", successor, bitmap], cancellationToken);
            File.Move(successor, disk, overwrite: true);
        }
        catch
        {
            File.Delete(successor);
            File.Delete(frozen);
            throw;
        }
        foreach (var bitmap in exportBitmaps)
            await QemuImgAsync(["bitmap", "--remove", frozen, bitmap], cancellationToken);
        File.SetUnixFileMode(frozen, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return name;
    }

    /// <summary>Whether an overlay has written clusters of its own (qemu-img map: present at depth 0), rather than only reading its backing chain.</summary>
    private async Task<bool> HoldsClustersOfItsOwnAsync(string disk, CancellationToken cancellationToken)
    {
        var (code, output) = await RunAsync(qemuImgBinary, ["map", "-f", "qcow2", "--output=json", disk], cancellationToken);
        if (code != 0)
            throw new VesselException(500, $"qemu-img map {disk}: {output.Trim()}");
        using var json = JsonDocument.Parse(output);
        // Past the end of a smaller backing file (a disk grown since) the overlay reads zeros it never wrote: not present.
        return json.RootElement.EnumerateArray().Any(extent => extent.GetProperty("depth").GetInt32() == 0 && extent.GetProperty("present").GetBoolean());
    }

    /// <summary>Puts every base the source's disk reads beside the copy: hard links, or reflinked copies across btrfs subvolumes.</summary>
    private static async Task CopyBasesAsync(string sourceDirectory, string copyDirectory, CancellationToken cancellationToken)
    {
        foreach (var frozen in VmImages.Chain(sourceDirectory).Skip(1))
        {
            var target = Path.Combine(copyDirectory, Path.GetFileName(frozen));
            try
            {
                Ownership.HardLink(frozen, target);
            }
            catch (LinuxException e) when (e.Errno == 18 /* EXDEV */)
            {
                if (await CopyFileAsync(frozen, target, "--reflink=auto", cancellationToken) is { } error)
                    throw new VesselException(500, $"copying the base disk {frozen} failed: {error}");
            }
        }
    }

    /// <summary>Makes a full copy stand on the image alone: the clusters it read from the source's bases are written into it.</summary>
    private async Task DetachFromBasesAsync(InstanceContext context, string copy, string sourceDirectory, CancellationToken cancellationToken)
    {
        if (VmImages.BackingFileOf(copy) is not { } name || !VmImages.IsBase(Path.GetFileName(name)))
            return;
        var (image, format) = (await VmImages.BackingDiskAsync(context.ImagePath!, cancellationToken))!.Value;
        await QemuImgAsync(["rebase", "-u", "-f", "qcow2", "-b", Path.Combine(sourceDirectory, Path.GetFileName(name)), "-F", "qcow2", copy], cancellationToken);
        await QemuImgAsync(["rebase", "-f", "qcow2", "-b", image, "-F", format, copy], cancellationToken, TimeSpan.FromMinutes(30));
    }

    /// <summary>cp with a --reflink mode: null when it worked, else what cp said (and the partial file is gone).</summary>
    private static async Task<string?> CopyFileAsync(string from, string to, string reflink, CancellationToken cancellationToken)
    {
        string[] sparse = reflink == "--reflink=always" ? [] : ["--sparse=always"]; // cp takes --reflink=always only with --sparse=auto
        var (code, output) = await RunAsync(Cp, [reflink, .. sparse, "--", from, to], cancellationToken, Timeout.InfiniteTimeSpan);
        if (code == 0)
            return null;
        File.Delete(to);
        return output.Trim();
    }

    /// <summary>Deletes every internal snapshot of a qcow2 file (a copy's or an import's that the store does not know).</summary>
    private async Task DropInternalSnapshotsAsync(string disk, CancellationToken cancellationToken)
    {
        foreach (var name in (await DiskInfoAsync(disk, cancellationToken)).Snapshots)
            await QemuImgAsync(["snapshot", "-d", name, disk], cancellationToken);
    }
}
