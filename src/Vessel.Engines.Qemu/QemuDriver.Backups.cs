using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>A VM's backup is its qcow2 overlay with its internal snapshots; the image it is backed by travels beside it.</summary>
public sealed partial class QemuDriver
{
    public Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken)
    {
        if (RunningState(PathsOf(context)) is not null)
            throw new ConflictException($"virtual machine {context.Instance.Name} is running; stop it to export it (its disk would change while it is read)");
        Directory.CreateDirectory(context.RootVolumePath);
        return VolumeArchive.WriteAsync(context.RootVolumePath, archive, [], cancellationToken);
    }

    public async Task ImportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(context.RootVolumePath);
        await VolumeArchive.ExtractAsync(archive, context.RootVolumePath, cancellationToken);
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            return; // a kernel-only VM keeps nothing of its own
        // The disk names its backing file by the path it had where it was exported: point it at this host's copy.
        var (backing, format) = await VmImages.BackingDiskAsync(context.ImagePath!, cancellationToken)
            ?? throw new BadRequestException("the backup's disk needs an image with a disk, and its image has none");
        await QemuImgAsync(["rebase", "-u", "-b", backing, "-F", format, disk], cancellationToken);
        if (!withSnapshots)
            await DropInternalSnapshotsAsync(disk, cancellationToken);
    }
}
