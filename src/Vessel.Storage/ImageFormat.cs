using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.Storage;

/// <summary>Tells an image file's format from its first bytes, and which instance type it serves.</summary>
public static class ImageFormat
{
    /// <summary>How many leading bytes Detect needs: a tar header's "ustar" magic sits at offset 257.</summary>
    public const int HeaderLength = 512;

    /// <summary>The file's first <paramref name="length"/> bytes, fewer when it is shorter.</summary>
    public static byte[] HeadOf(string path, int length = HeaderLength)
    {
        var head = new byte[length];
        using var file = File.OpenHandle(path);
        return head[..RandomAccess.Read(file, head, 0)];
    }

    public static (string Format, InstanceType Type)? Detect(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith((ReadOnlySpan<byte>)[(byte)'Q', (byte)'F', (byte)'I', 0xfb]))
            return ("qcow2", InstanceType.VirtualMachine);
        if (header.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]))
            return ("tar.gz", InstanceType.Container);
        if (header.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd]))
            return ("tar.zst", InstanceType.Container);
        if (header.StartsWith((ReadOnlySpan<byte>)[0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00]))
            return ("tar.xz", InstanceType.Container);
        if (header.Length >= 262 && header.Slice(257, 5).SequenceEqual("ustar"u8))
            return ("tar", InstanceType.Container);
        return null;
    }

    /// <summary>
    /// Refuses a qcow2 disk that does not stand alone: a backing file (header offset 8) or an external data file
    /// (incompatible feature bit 2 of a version 3 header, offset 72) would let the image name any file of the host.
    /// </summary>
    /// <exception cref="BadRequestException">The header is not qcow2, or names another file.</exception>
    public static void CheckStandaloneQcow2(ReadOnlySpan<byte> header, string what, bool backingAllowed = false)
    {
        if (header.Length < 80 || Detect(header) is not ("qcow2", _))
            throw new BadRequestException($"{what} is not a qcow2 disk");
        if (!backingAllowed && BinaryPrimitives.ReadUInt64BigEndian(header[8..]) != 0)
            throw new BadRequestException($"{what} names a backing file; import a qcow2 that stands alone (qemu-img convert -O qcow2)");
        if (BinaryPrimitives.ReadUInt32BigEndian(header[4..]) >= 3 && (BinaryPrimitives.ReadUInt64BigEndian(header[72..]) & 0x4) != 0)
            throw new BadRequestException($"{what} keeps its data in an external file; import a qcow2 that stands alone (qemu-img convert -O qcow2)");
    }

    /// <summary>
    /// Refuses a qcow2 disk whose tables are damaged (qemu-img check: exit 2 for corruptions, 1 when it could not read them;
    /// leaked clusters alone, exit 3, only waste room). A header that reads well says nothing of the tables behind it, and
    /// a guest would meet the damage as I/O errors.
    /// </summary>
    /// <param name="within">Where the disk lies inside the file (a tarball's entry, its length a multiple of 512), or null for the whole file.</param>
    /// <exception cref="BadRequestException">The disk is damaged; the message says how, as qemu-img does.</exception>
    public static async Task CheckQcow2TablesAsync(string path, string what, CancellationToken cancellationToken, (long Offset, long Length)? within = null)
    {
        JsonObject file = new() { ["driver"] = "file", ["filename"] = path };
        if (within is { } range)
            file = new JsonObject { ["driver"] = "raw", ["offset"] = range.Offset, ["size"] = range.Length, ["file"] = file };
        // Its own tables only: a backing file it names may not be where it says yet (a backup's disk, before its rebase).
        var disk = "json:" + new JsonObject { ["driver"] = "qcow2", ["backing"] = null, ["file"] = file }.ToJsonString();
        var result = await Vessel.Linux.HostCommand.RunAsync(Vessel.Linux.HostCommand.Resolve("qemu-img"), ["check", "-q", disk],
            timeout: TimeSpan.FromMinutes(5), cancellationToken: cancellationToken);
        if (result.Code is 1 or 2)
        {
            var first = (result.Errors + result.Output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            throw new BadRequestException($"{what} is damaged (qemu-img check found {(result.Code == 2 ? "corruptions" : "tables it cannot read")}): {first}");
        }
    }

    /// <summary>Checks the detected format against the type the user asked for and names the file in the store.</summary>
    public static (string Format, InstanceType Type, string Filename) Resolve(ReadOnlySpan<byte> header, long size, InstanceType? requested)
    {
        var detected = Detect(header);
        if (detected is null)
        {
            // A raw disk has no magic; take it only when the user says it is a VM image.
            if (requested == InstanceType.VirtualMachine && size > 0 && size % 512 == 0)
                return ("raw", InstanceType.VirtualMachine, "disk.raw");
            throw new BadRequestException(requested == InstanceType.VirtualMachine
                ? "the file is neither a qcow2 disk nor a raw disk (a raw disk is a non-empty multiple of 512 bytes)"
                : "the file is not an image: expected a rootfs tarball (tar, tar.gz, tar.zst, tar.xz), an OCI image layout tarball or a qcow2 disk");
        }
        var (format, type) = detected.Value;
        // A VM image may be a kernel with its initramfs, packed as a tar (see KernelImageLayout).
        if (format == "tar" && requested == InstanceType.VirtualMachine)
            return (Images.KernelImageLayout.Format, InstanceType.VirtualMachine, Images.KernelImageLayout.Filename);
        if (requested is { } want && want != type)
            throw new BadRequestException($"the file is a {format} file, which makes a {type.Name()} image, not a {want.Name()} image");
        return (format, type, type == InstanceType.Container ? $"rootfs.{format}" : $"disk.{format}");
    }
}
