using System.Formats.Tar;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Tells a root filesystem tarball from an OCI image layout tarball, and checks every entry with the rules extraction
/// applies (TarEntryCheck), reading headers only: an archive that could not be extracted is refused at import.
/// </summary>
public static class ArchiveInspector
{
    private static readonly string[] RootfsDirectories = ["bin", "sbin", "usr", "etc"];

    /// <param name="format">tar, tar.gz, tar.zst or tar.xz, as ImageFormat detected it.</param>
    /// <exception cref="BadRequestException">
    /// The archive is neither, cannot be read, is a compressed OCI layout, or has an entry extraction would refuse (named).
    /// </exception>
    public static async Task<ArchiveKind> InspectAsync(string path, string format, CancellationToken cancellationToken)
    {
        await using var file = RootfsExtractor.OpenSequential(path);
        await using var tar = ArchiveCompression.Decompress(file, format, Path.GetFileName(path));
        var tap = new PaxRecordTap(tar);
        await using var reader = new TarReader(tap, leaveOpen: true);
        var check = new TarEntryCheck("the tarball");
        bool rootfs = false, ociLayout = false, index = false;
        try
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                    continue;
                tap.TakeXattrs(entry);
                var relative = check.Check(entry);
                if (relative.Length == 0)
                    continue;
                var slash = relative.IndexOf('/');
                var top = slash < 0 ? relative : relative[..slash];
                rootfs |= RootfsDirectories.Contains(top) && (slash >= 0 || entry.EntryType is TarEntryType.Directory or TarEntryType.SymbolicLink);
                if (slash < 0 && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                {
                    ociLayout |= top == "oci-layout";
                    index |= top == "index.json";
                }
            }
        }
        catch (Exception e) when (TarEntryRules.IsUnreadable(e))
        {
            throw new BadRequestException($"the file is not a readable {format} archive: {e.Message}");
        }
        if (rootfs)
            return ArchiveKind.Rootfs;
        if (ociLayout && index)
        {
            return format == "tar"
                ? ArchiveKind.OciLayout
                : throw new BadRequestException($"the file is an OCI image layout compressed as {format}; import it as a plain tar (its layers are compressed already)");
        }
        throw new BadRequestException("the tarball is neither a root filesystem (none of bin/, sbin/, usr/, etc/ at its top) " +
            "nor an OCI image layout (no oci-layout and index.json at its top)");
    }
}
