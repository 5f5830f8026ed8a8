using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// A VM image made of a kernel and an initramfs: an uncompressed tarball (the kernel and initramfs are compressed
/// already) holding metadata.json, vmlinuz and initrd.img, stored in the image store as kernel.tar with the format
/// "kernel+initrd". The QEMU engine unpacks it beside the image on first use and boots it with -kernel/-initrd/-append.
/// </summary>
public static class KernelImageLayout
{
    public const string Format = "kernel+initrd";
    public const string Filename = "kernel.tar";
    public const string Kernel = "vmlinuz";
    public const string Initrd = "initrd.img";
    public const string MetadataFile = "metadata.json";

    /// <summary>metadata.json: the kernel command line to boot with, the kernel version and a description.</summary>
    public static byte[] Metadata(string commandLine, string kernelVersion, string description)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteString("kernel", Kernel);
            writer.WriteString("initrd", Initrd);
            writer.WriteString("cmdline", commandLine);
            writer.WriteString("kernel_version", kernelVersion);
            writer.WriteString("description", description);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>The command line metadata.json asks for, or console=ttyS0 when it names none.</summary>
    public static string CommandLineOf(string metadataPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(metadataPath));
        return document.RootElement.TryGetProperty("cmdline", out var line) && line.GetString() is { Length: > 0 } text ? text : "console=ttyS0";
    }

    public static async Task WriteAsync(string path, string kernel, string initrd, byte[] metadata, CancellationToken cancellationToken)
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

    /// <summary>Checks that a tarball is a kernel+initrd image (for the image store's import): it names its missing parts.</summary>
    /// <exception cref="BadRequestException">vmlinuz or initrd.img is missing.</exception>
    public static async Task ValidateAsync(string path, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var file = File.OpenRead(path);
            await using var reader = new TarReader(file);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
                names.Add(entry.Name.TrimStart('.', '/'));
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new BadRequestException($"the tarball is not a kernel+initrd VM image: {e.Message}");
        }
        var missing = new[] { Kernel, Initrd }.Where(n => !names.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new BadRequestException($"the tarball is not a kernel+initrd VM image: it has no {string.Join(" and no ", missing)}");
    }

    /// <summary>Unpacks the image into DIRECTORY (a fresh one) and returns (kernel, initrd, metadata) paths.</summary>
    public static async Task<(string Kernel, string Initrd, string Metadata)> ExtractAsync(string path, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await using (var file = File.OpenRead(path))
        {
            await using var reader = new TarReader(file);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var name = entry.Name.TrimStart('.', '/');
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && name is Kernel or Initrd or MetadataFile)
                    await entry.ExtractToFileAsync(Path.Combine(directory, name), overwrite: true, cancellationToken);
            }
        }
        var result = (Path.Combine(directory, Kernel), Path.Combine(directory, Initrd), Path.Combine(directory, MetadataFile));
        foreach (var required in new[] { result.Item1, result.Item2 })
        {
            if (!File.Exists(required))
                throw new BadRequestException($"the VM image {path} has no {Path.GetFileName(required)}");
        }
        return result;
    }
}
