using System.Formats.Tar;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>Tells a root filesystem tarball from an OCI image layout tarball by reading entry headers until one shows.</summary>
public static class ArchiveInspector
{
    private static readonly string[] RootfsDirectories = ["bin", "sbin", "usr", "etc"];

    /// <param name="format">tar, tar.gz, tar.zst or tar.xz, as ImageFormat detected it.</param>
    /// <exception cref="BadRequestException">The archive is neither, cannot be read, or is a compressed OCI layout.</exception>
    public static async Task<ArchiveKind> InspectAsync(string path, string format, CancellationToken cancellationToken)
    {
        await using var file = RootfsExtractor.OpenSequential(path);
        await using var tar = ArchiveCompression.Decompress(file, format, Path.GetFileName(path));
        var tap = new PaxRecordTap(tar);
        await using var reader = new TarReader(tap, leaveOpen: true);
        bool ociLayout = false, index = false;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                    continue;
                tap.TakeXattrs(entry);
                var relative = EntryPath.Normalize(entry.Name);
                if (string.IsNullOrEmpty(relative))
                    continue;
                var slash = relative.IndexOf('/');
                var top = slash < 0 ? relative : relative[..slash];
                if (RootfsDirectories.Contains(top) && (slash >= 0 || entry.EntryType is TarEntryType.Directory or TarEntryType.SymbolicLink))
                    return ArchiveKind.Rootfs;
                if (slash < 0 && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                {
                    ociLayout |= top == "oci-layout";
                    index |= top == "index.json";
                }
                if (ociLayout && index)
                {
                    return format == "tar"
                        ? ArchiveKind.OciLayout
                        : throw new BadRequestException($"the file is an OCI image layout compressed as {format}; import it as a plain tar (its layers are compressed already)");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException)
        {
            throw new BadRequestException($"the file is not a readable {format} archive: {e.Message}");
        }
        throw new BadRequestException("the tarball is neither a root filesystem (none of bin/, sbin/, usr/, etc/ at its top) " +
            "nor an OCI image layout (no oci-layout and index.json at its top)");
    }
}
