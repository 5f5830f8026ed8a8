using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Vessel.Core;
using Vessel.Storage.Images;

namespace Vessel.Engines.Qemu;

/// <summary>
/// What a VM image file is, from its name in the image store: disk.qcow2 or disk.raw (a disk with a bootloader,
/// the backing file of each instance's qcow2 overlay) or kernel.tar (a kernel and an initramfs, maybe with the root
/// disk they boot, unpacked once beside the image into kernel/ and shared read-only by every instance; the disk
/// there backs each instance's overlay).
/// </summary>
public static partial class VmImages
{
    public const string RootDisk = "root.qcow2";
    private const string Unpacked = "kernel";
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();

    /// <summary>qcow2 or raw for a disk image; null for a kernel image.</summary>
    /// <exception cref="BadRequestException">The file is not a VM image Vessel knows.</exception>
    public static string? DiskFormat(string imagePath) => Path.GetFileName(imagePath) switch
    {
        "disk.qcow2" => "qcow2",
        "disk.raw" => "raw",
        KernelImageLayout.Filename => null,
        var other => throw new BadRequestException($"{other} is not a virtual-machine image (expected disk.qcow2, disk.raw or {KernelImageLayout.Filename})"),
    };

    public static string RootDiskPath(string rootVolumePath) => Path.Combine(rootVolumePath, RootDisk);

    /// <summary>
    /// A base is a disk that once was an instance's and is now read-only, shared by the linked copies made from it: each
    /// overlay names it by this relative name, and every instance whose chain reads it has a hard link to it in its own
    /// directory, so it is freed with its last user.
    /// </summary>
    public static bool IsBase(string name) => BaseName().IsMatch(name);

    public static string NewBaseName() => $"base-{Guid.NewGuid():N}.qcow2";

    public static IEnumerable<string> BasesIn(string rootVolumePath) =>
        Directory.EnumerateFiles(rootVolumePath, "base-*.qcow2").Where(path => IsBase(Path.GetFileName(path)));

    /// <summary>The root disk and the bases it reads, top first, all regular files beside it.</summary>
    /// <exception cref="BadRequestException">A disk is not a regular file, a base it names is missing, or the disks name each other in a loop.</exception>
    public static List<string> Chain(string rootVolumePath)
    {
        List<string> chain = [RootDiskPath(rootVolumePath)];
        while (true)
        {
            if (!Vessel.Linux.Ownership.IsRegularFile(chain[^1]))
                throw new BadRequestException($"{Path.GetFileName(chain[^1])} is not a regular file");
            if (BackingFileOf(chain[^1]) is not { } name || !IsBase(name))
                return chain;
            var next = Path.Combine(rootVolumePath, name);
            if (chain.Contains(next))
                throw new BadRequestException($"the disks name each other in a loop (at {name})");
            if (!File.Exists(next))
                throw new BadRequestException($"{Path.GetFileName(chain[^1])} reads the base disk {name}, which is missing");
            chain.Add(next);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^base-[0-9a-f]{32}\\.qcow2$")]
    private static partial System.Text.RegularExpressions.Regex BaseName();

    /// <summary>The backing file a qcow2 disk names in its header, as written there (a relative name is beside the disk); null for none.</summary>
    public static string? BackingFileOf(string disk)
    {
        using var file = File.OpenHandle(disk);
        Span<byte> header = stackalloc byte[20];
        if (RandomAccess.Read(file, header, 0) < header.Length || BinaryPrimitives.ReadUInt32BigEndian(header) != 0x514649fb /* "QFI\xfb" */)
            return null;
        var offset = BinaryPrimitives.ReadInt64BigEndian(header[8..]);
        var length = BinaryPrimitives.ReadInt32BigEndian(header[16..]);
        if (offset <= 0 || length is <= 0 or > 1023) // QEMU's own limit on the name
            return null;
        var name = new byte[length];
        return RandomAccess.Read(file, name, offset) == length ? Encoding.UTF8.GetString(name) : null;
    }

    /// <summary>The disk an instance's overlay is made on, with its format; null for a kernel image without a disk.</summary>
    public static async Task<(string Path, string Format)?> BackingDiskAsync(string imagePath, CancellationToken cancellationToken)
    {
        if (DiskFormat(imagePath) is { } format)
            return (imagePath, format);
        return (await UnpackAsync(imagePath, cancellationToken)).Disk is { } disk ? (disk, "qcow2") : null;
    }

    /// <summary>How an instance boots: from its overlay disk, or from the image's kernel and initramfs (with the overlay as /dev/vda).</summary>
    public static async Task<QemuBoot> BootAsync(string imagePath, string rootVolumePath, CancellationToken cancellationToken)
    {
        if (DiskFormat(imagePath) is not null)
            return new DiskBoot(ExistingRootDisk(rootVolumePath), "qcow2");
        var files = await UnpackAsync(imagePath, cancellationToken);
        return new KernelBoot(files.Kernel, files.Initrd, files.Metadata is { } metadata ? KernelImageLayout.CommandLineOf(metadata) : "console=ttyS0",
            files.Disk is null ? null : ExistingRootDisk(rootVolumePath));
    }

    private static string ExistingRootDisk(string rootVolumePath)
    {
        var disk = RootDiskPath(rootVolumePath);
        return File.Exists(disk) ? disk : throw new VesselException(500, $"the root disk {disk} is missing; the instance was not created completely");
    }

    /// <summary>
    /// Unpacks a kernel image once, into a temporary directory renamed into place whole. An unpacked image whose kernel,
    /// initramfs or disk has gone missing gets back what is missing; files still there stay, as instances' overlays read its disk.
    /// </summary>
    public static async Task<KernelImageFiles> UnpackAsync(string imagePath, CancellationToken cancellationToken)
    {
        var imageDirectory = Path.GetDirectoryName(Path.GetFullPath(imagePath))!;
        var target = Path.Combine(imageDirectory, Unpacked);
        var gate = Locks.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var files = KernelImageLayout.FilesIn(target);
            if (File.Exists(files.Kernel) && File.Exists(files.Initrd) &&
                (files.Disk is not null || files.Metadata is null || !KernelImageLayout.NamesDisk(files.Metadata)))
                return files;
            if (!File.Exists(imagePath))
                throw new BadRequestException($"the VM image {imagePath} is missing");
            var temporary = Path.Combine(imageDirectory, $".{Unpacked}-{Guid.NewGuid():N}");
            try
            {
                await KernelImageLayout.ExtractAsync(imagePath, temporary, cancellationToken);
                if (!Directory.Exists(target))
                    Directory.Move(temporary, target);
                foreach (var file in Directory.Exists(temporary) ? Directory.GetFiles(temporary) : [])
                {
                    var kept = Path.Combine(target, Path.GetFileName(file));
                    if (!File.Exists(kept))
                        File.Move(file, kept);
                }
            }
            finally
            {
                if (Directory.Exists(temporary))
                    Directory.Delete(temporary, recursive: true);
            }
            return KernelImageLayout.FilesIn(target);
        }
        finally
        {
            gate.Release();
        }
    }
}
