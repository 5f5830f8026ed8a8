using System.Formats.Tar;

namespace Vessel.Storage.Images;

/// <summary>Adds entries at the end of an uncompressed tarball in place, without rewriting what is there.</summary>
internal static class TarAppend
{
    private const int BlockSize = 512;

    /// <summary>
    /// Appends a root-owned directory entry (NAME ends with '/'), overwriting the end-of-archive blocks and writing
    /// new ones after it.
    /// </summary>
    public static async Task DirectoryAsync(string tarball, string name, UnixFileMode mode, DateTimeOffset modified, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(tarball, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        var end = await EndOfEntriesAsync(file, cancellationToken);
        file.SetLength(end);
        file.Position = end;
        await using (var writer = new TarWriter(file, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var entry = new UstarTarEntry(TarEntryType.Directory, name)
            {
                Mode = mode,
                Uid = 0,
                Gid = 0,
                ModificationTime = modified,
            };
            await writer.WriteEntryAsync(entry, cancellationToken);
        }
        await file.FlushAsync(cancellationToken);
    }

    /// <summary>The offset just past the last entry's data: where the end-of-archive zero blocks begin.</summary>
    private static async Task<long> EndOfEntriesAsync(FileStream file, CancellationToken cancellationToken)
    {
        long end = 0;
        // A seekable stream is read header by header: after GetNextEntry the stream stands at the entry's data,
        // which is skipped by seeking, not read.
        await using var reader = new TarReader(file, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            end = file.Position + (entry.Length + BlockSize - 1) / BlockSize * BlockSize;
        return end;
    }
}
