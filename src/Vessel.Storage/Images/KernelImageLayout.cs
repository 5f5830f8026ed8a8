using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// A VM image made of a kernel and an initramfs, and optionally the root disk they boot: an uncompressed tarball (the
/// kernel, initramfs and a compressed qcow2 disk are compressed already) holding metadata.json, vmlinuz, initrd.img
/// and disk.qcow2, stored in the image store as kernel.tar with the format "kernel+initrd" or, with a disk,
/// "kernel+initrd+disk". The QEMU engine unpacks it beside the image on first use and boots it with
/// -kernel/-initrd/-append; each instance's root disk is a qcow2 overlay on the unpacked disk.
/// </summary>
public static class KernelImageLayout
{
    public const string Format = "kernel+initrd";
    public const string FormatWithDisk = "kernel+initrd+disk";
    public const string Filename = "kernel.tar";
    public const string Kernel = "vmlinuz";
    public const string Initrd = "initrd.img";
    public const string Disk = "disk.qcow2";
    public const string MetadataFile = "metadata.json";

    /// <summary>metadata.json: the kernel command line to boot with, the kernel version and a description.</summary>
    public static byte[] Metadata(string commandLine, string kernelVersion, string description, bool withDisk = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", withDisk ? FormatWithDisk : Format);
            writer.WriteString("kernel", Kernel);
            writer.WriteString("initrd", Initrd);
            if (withDisk)
                writer.WriteString("disk", Disk);
            writer.WriteString("cmdline", commandLine);
            writer.WriteString("kernel_version", kernelVersion);
            writer.WriteString("description", description);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Whether the image's metadata.json names a root disk (a kernel+initrd+disk image).</summary>
    public static bool NamesDisk(string metadataPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(metadataPath));
        return document.RootElement.TryGetProperty("disk", out _);
    }

    /// <summary>The command line metadata.json asks for, or console=ttyS0 when it names none.</summary>
    public static string CommandLineOf(string metadataPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(metadataPath));
        return document.RootElement.TryGetProperty("cmdline", out var line) && line.GetString() is { Length: > 0 } text ? text : "console=ttyS0";
    }

    /// <summary>Writes the tarball; <paramref name="disk"/>, when given, is a qcow2 file with no backing file.</summary>
    public static async Task WriteAsync(string path, string kernel, string initrd, byte[] metadata, string? disk, CancellationToken cancellationToken)
    {
        var partial = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
            {
                await using var writer = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true);
                await WriteEntryAsync(writer, MetadataFile, new MemoryStream(metadata), cancellationToken);
                await WriteEntryAsync(writer, Kernel, File.OpenRead(kernel), cancellationToken);
                await WriteEntryAsync(writer, Initrd, File.OpenRead(initrd), cancellationToken);
                if (disk is not null)
                    await WriteEntryAsync(writer, Disk, File.OpenRead(disk), cancellationToken);
            }
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static async Task WriteEntryAsync(TarWriter writer, string name, Stream data, CancellationToken cancellationToken)
    {
        await using (data)
        {
            var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = (UnixFileMode)0b110_100_100,
                UserName = "root",
                GroupName = "root",
                ModificationTime = BusyboxVmImage.Timestamp,
                DataStream = data,
            };
            await writer.WriteEntryAsync(entry, cancellationToken);
        }
    }

    /// <summary>
    /// Checks that a tarball is a kernel+initrd image (for the image store's import) and returns its format: with a disk.qcow2,
    /// "kernel+initrd+disk". The disk must be a qcow2 that stands alone: a backing file or an external data file could name
    /// any file of the host.
    /// </summary>
    /// <exception cref="BadRequestException">vmlinuz or initrd.img is missing, or the disk is not a qcow2 that stands alone.</exception>
    public static async Task<string> ValidateAsync(string path, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        (long Offset, long Length)? disk = null;
        try
        {
            await using var file = File.OpenRead(path);
            await using var reader = new TarReader(file);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var name = entry.Name.TrimStart('.', '/');
                names.Add(name);
                if (name == Disk)
                {
                    var data = entry.DataStream ?? throw new BadRequestException($"the tarball's {Disk} is empty");
                    // The reader has stepped over the data to the next header already; a tar pads each entry to 512 bytes.
                    var padded = (entry.Length + 511) / 512 * 512;
                    disk = (file.Position - padded, padded);
                    var header = new byte[ImageFormat.HeaderLength];
                    await data.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
                    ImageFormat.CheckStandaloneQcow2(header, Disk);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new BadRequestException($"the tarball is not a kernel+initrd VM image: {e.Message}");
        }
        var missing = new[] { Kernel, Initrd }.Where(n => !names.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new BadRequestException($"the tarball is not a kernel+initrd VM image: it has no {string.Join(" and no ", missing)}");
        if (disk is null)
            return Format;
        await ImageFormat.CheckQcow2TablesAsync(path, $"the tarball's {Disk}", cancellationToken, disk);
        return FormatWithDisk;
    }

    /// <summary>
    /// Checks that a file is a Linux kernel QEMU boots for the architecture, and returns the version an x86 kernel names in its
    /// boot header ("" when it names none): x86_64 wants a bzImage (the "HdrS" boot header at 0x202); aarch64 an Image (the
    /// "ARM\x64" magic at 0x38), gzip-compressed as Debian ships it, or an EFI zboot image ("MZ").
    /// </summary>
    /// <exception cref="BadRequestException">The file is not such a kernel (an initramfs given in its place, for one).</exception>
    public static string CheckKernel(string path, string architecture)
    {
        ReadOnlySpan<byte> head = ImageFormat.HeadOf(path, 32 << 10); // the real-mode setup, where the version string is, has at most 64 sectors
        var length = head.Length;
        if (architecture == "aarch64")
        {
            if (IsArm64Image(head) || IsArm64Pe(head) || (head.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]) && IsArm64Image(Inflated(path, 0x40))))
                return "";
            throw new BadRequestException("the kernel is not an aarch64 Linux kernel (an Image, gzip-compressed or not, or an EFI zboot image)");
        }
        if (length < 0x210 || !head[0x202..0x206].SequenceEqual("HdrS"u8))
            throw new BadRequestException($"the kernel is not an {architecture} Linux kernel: it has no bzImage boot header (\"HdrS\" at 0x202)");
        // The version string's offset, less 0x200, is at 0x20e (boot protocol 2.0 and later).
        var at = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head[0x20e..]) + 0x200;
        if (at is 0x200 || at >= length)
            return "";
        var text = head[at..];
        var end = text.IndexOfAny((byte)0, (byte)' ');
        return Encoding.ASCII.GetString(end < 0 ? text : text[..end]);
    }

    // An arm64 Image has "ARM\x64" at 0x38.
    private static bool IsArm64Image(ReadOnlySpan<byte> head) => head.Length >= 0x3c && head[0x38..0x3c].SequenceEqual("ARMd"u8);

    // A PE file ("MZ", the PE header at the offset 0x3c names) for machine 0xaa64, or an EFI zboot image ("zimg" at 4). An
    // x86_64 bzImage is a PE file too, for machine 0x8664.
    private static bool IsArm64Pe(ReadOnlySpan<byte> head)
    {
        if (!head.StartsWith("MZ"u8) || head.Length < 0x40)
            return false;
        if (head[4..8].SequenceEqual("zimg"u8))
            return true;
        var pe = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(head[0x3c..]);
        return pe > 0 && pe + 6 <= head.Length && head[pe..(pe + 4)].SequenceEqual("PE\0\0"u8) &&
            System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(head[(pe + 4)..]) == 0xaa64;
    }

    /// <summary>The first bytes of a gzip file's content (fewer when it is shorter or not gzip after all).</summary>
    private static byte[] Inflated(string path, int count)
    {
        var bytes = new byte[count];
        try
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            return bytes[..gzip.ReadAtLeast(bytes, count, throwOnEndOfStream: false)];
        }
        catch (InvalidDataException)
        {
            return [];
        }
    }

    private static readonly byte[][] InitrdMagics =
    [
        "070701"u8.ToArray(), "070702"u8.ToArray(), // cpio newc, with and without checksums
        [0x1f, 0x8b], [0x28, 0xb5, 0x2f, 0xfd], [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0], // gzip, zstd, xz
        [0x02, 0x21, 0x4c, 0x18], "BZh"u8.ToArray(), [0x5d, 0, 0], [0x89, (byte)'L', (byte)'Z', (byte)'O'], // lz4, bzip2, lzma, lzo
    ];

    /// <summary>Checks that a file is an initramfs the kernel unpacks: a cpio archive (newc) or one compressed as Linux can read.</summary>
    /// <exception cref="BadRequestException">It is neither (a kernel given in its place, for one).</exception>
    public static void CheckInitrd(string path)
    {
        var head = ImageFormat.HeadOf(path, 6);
        if (!InitrdMagics.Any(magic => head.AsSpan().StartsWith(magic)))
            throw new BadRequestException("the initramfs is neither a cpio archive nor one compressed with gzip, zstd, xz, lz4, bzip2, lzma or lzo");
    }

    /// <summary>Unpacks the image into DIRECTORY (a fresh one) and returns the paths of what it holds.</summary>
    public static async Task<KernelImageFiles> ExtractAsync(string path, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await using (var file = File.OpenRead(path))
        {
            await using var reader = new TarReader(file);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var name = entry.Name.TrimStart('.', '/');
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && name is Kernel or Initrd or Disk or MetadataFile)
                    await entry.ExtractToFileAsync(Path.Combine(directory, name), overwrite: true, cancellationToken);
            }
        }
        var files = FilesIn(directory);
        foreach (var required in new[] { files.Kernel, files.Initrd })
        {
            if (!File.Exists(required))
                throw new BadRequestException($"the VM image {path} has no {Path.GetFileName(required)}");
        }
        return files;
    }

    /// <summary>The files of an image unpacked in DIRECTORY; Disk and Metadata are null when the image has none.</summary>
    public static KernelImageFiles FilesIn(string directory)
    {
        string? Optional(string name) => File.Exists(Path.Combine(directory, name)) ? Path.Combine(directory, name) : null;
        return new KernelImageFiles(Path.Combine(directory, Kernel), Path.Combine(directory, Initrd), Optional(MetadataFile), Optional(Disk));
    }
}

/// <summary>The files of an unpacked kernel image: a kernel, an initramfs, maybe its metadata.json and a root disk (qcow2).</summary>
public sealed record KernelImageFiles(string Kernel, string Initrd, string? Metadata, string? Disk);
