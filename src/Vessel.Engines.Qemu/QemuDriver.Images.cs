using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Storage.Images;

namespace Vessel.Engines.Qemu;

/// <summary>
/// A VM published as an image: its overlay disk (or a snapshot inside it, also while the VM runs) flattened with its image's data into one
/// compressed qcow2 without a backing file; a kernel image keeps its kernel, initramfs and command line around it.
/// </summary>
public sealed partial class QemuDriver
{
    public async Task<string> PublishAsync(InstanceContext context, string? snapshot, string workDirectory, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        var name = context.Instance.Name;
        if (snapshot is null && RunningState(PathsOf(context)) is not null)
            throw new ConflictException($"virtual machine {name} is running; stop it to publish it, or publish one of its snapshots");
        var image = context.ImagePath ?? throw new BadRequestException("a virtual machine needs an image");
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
        {
            if (snapshot is not null)
                throw new NotFoundException($"virtual machine {name} has no disk, so no snapshot {snapshot}");
            var same = Path.Combine(workDirectory, Path.GetFileName(image)); // a kernel-only VM is its image
            File.Copy(image, same);
            return same;
        }
        var flat = Path.Combine(workDirectory, KernelImageLayout.Disk);
        // A snapshot's clusters never change, so a running VM's is read without its lock (-U), as a copy of one is.
        await QemuImgAsync(["convert", "-c", "-O", "qcow2", .. snapshot is null ? Array.Empty<string>() : ["-U", "-l", $"snapshot.name={snapshot}"], disk, flat],
            cancellationToken, Timeout.InfiniteTimeSpan);
        if (VmImages.DiskFormat(image) is not null)
            return flat;
        var files = await VmImages.UnpackAsync(image, cancellationToken);
        var metadata = files.Metadata is { } path
            ? await File.ReadAllBytesAsync(path, cancellationToken)
            : KernelImageLayout.Metadata("console=ttyS0", "", $"published from {name}", withDisk: true);
        var published = Path.Combine(workDirectory, KernelImageLayout.Filename);
        await KernelImageLayout.WriteAsync(published, files.Kernel, files.Initrd, metadata, flat, cancellationToken);
        return published;
    }
}
