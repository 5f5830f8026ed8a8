using System.Collections.Concurrent;
using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Engines.Qemu;

/// <summary>
/// What a VM image file is, from its name in the image store: disk.qcow2 or disk.raw (a disk with a bootloader,
/// the backing file of each instance's qcow2 overlay) or kernel.tar (a kernel and an initramfs, unpacked once
/// beside the image into kernel/, shared read-only by every instance).
/// </summary>
public static class VmImages
{
    public const string RootDisk = "root.qcow2";
    private const string Unpacked = "kernel";
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();

    /// <summary>qcow2 or raw for a disk image; null for a kernel+initrd image.</summary>
    /// <exception cref="BadRequestException">The file is not a VM image Vessel knows.</exception>
    public static string? DiskFormat(string imagePath) => Path.GetFileName(imagePath) switch
    {
        "disk.qcow2" => "qcow2",
        "disk.raw" => "raw",
        KernelImageLayout.Filename => null,
        var other => throw new BadRequestException($"{other} is not a virtual-machine image (expected disk.qcow2, disk.raw or {KernelImageLayout.Filename})"),
    };

    public static string RootDiskPath(string rootVolumePath) => Path.Combine(rootVolumePath, RootDisk);

    /// <summary>How an instance boots: from its overlay disk, or from the image's kernel and initramfs.</summary>
    public static async Task<QemuBoot> BootAsync(string imagePath, string rootVolumePath, CancellationToken cancellationToken)
    {
        if (DiskFormat(imagePath) is not null)
        {
            var disk = RootDiskPath(rootVolumePath);
            if (!File.Exists(disk))
                throw new VesselException(500, $"the root disk {disk} is missing; the instance was not created completely");
            return new DiskBoot(disk, "qcow2");
        }
        var (kernel, initrd, metadata) = await UnpackAsync(imagePath, cancellationToken);
        return new KernelBoot(kernel, initrd, File.Exists(metadata) ? KernelImageLayout.CommandLineOf(metadata) : "console=ttyS0");
    }

    /// <summary>Unpacks a kernel+initrd image once, into a temporary directory renamed into place whole.</summary>
    public static async Task<(string Kernel, string Initrd, string Metadata)> UnpackAsync(string imagePath, CancellationToken cancellationToken)
    {
        var imageDirectory = Path.GetDirectoryName(Path.GetFullPath(imagePath))!;
        var target = Path.Combine(imageDirectory, Unpacked);
        var gate = Locks.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(target))
            {
                if (!File.Exists(imagePath))
                    throw new BadRequestException($"the VM image {imagePath} is missing");
                var temporary = Path.Combine(imageDirectory, $".{Unpacked}-{Guid.NewGuid():N}");
                try
                {
                    await KernelImageLayout.ExtractAsync(imagePath, temporary, cancellationToken);
                    Directory.Move(temporary, target);
                }
                finally
                {
                    if (Directory.Exists(temporary))
                        Directory.Delete(temporary, recursive: true);
                }
            }
            return (Path.Combine(target, KernelImageLayout.Kernel), Path.Combine(target, KernelImageLayout.Initrd),
                Path.Combine(target, KernelImageLayout.MetadataFile));
        }
        finally
        {
            gate.Release();
        }
    }
}
