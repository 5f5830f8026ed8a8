using Vessel.Linux;
using System.Formats.Tar;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Unpacks one or more tar streams, in order, into one target directory without letting any entry reach outside it:
/// names are made relative and ".." is refused (EntryPath), no parent directory is ever a symbolic link (Paths),
/// hard links point only at files this extraction wrote, regular files are created with CreateNew. Ownership,
/// modes, xattrs and mtimes follow each entry (Metadata); directories get theirs at the end (Finish), once nothing
/// more is written into them. Layers of an OCI image go through the same object one after another (Whiteouts).
/// On failure the target holds a partial tree, which the caller removes.
/// </summary>
internal sealed partial class TarExtraction
{
    private readonly string _root;
    private readonly ExtractOptions _options;
    private readonly bool _privileged = Environment.IsPrivilegedProcess;

    // Every non-directory this extraction made (all layers): the only things a hard link may point at.
    private readonly HashSet<string> _extracted = new(StringComparer.Ordinal);
    // What the current archive or layer wrote, with every directory above it: a layer's whiteouts spare these.
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);

    private readonly byte[] _buffer = new byte[1 << 17];
    private string _archive = "";
    private bool _layer;
    private int _entries;
    private int _skippedDeviceNodes;

    public TarExtraction(string targetDirectory, ExtractOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.UidOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(options.GidOffset);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory));
        _options = options;
        Directory.CreateDirectory(_root);
    }

    /// <param name="tar">An uncompressed tar stream.</param>
    /// <param name="archiveName">Names the archive in errors: a file name, or a layer.</param>
    /// <param name="layer">An OCI layer: ".wh." entries are whiteouts and may replace lower directories.</param>
    /// <remarks>Synchronous, on purpose: per-file async I/O costs more in thread hops than the writes themselves.</remarks>
    public void Apply(Stream tar, string archiveName, bool layer, CancellationToken cancellationToken)
    {
        _archive = archiveName;
        _layer = layer;
        _touched.Clear();
        var tap = new PaxRecordTap(tar);
        using var reader = new TarReader(tap, leaveOpen: true);
        string? previous = null;
        while (NextEntry(reader, previous) is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                continue;
            IReadOnlyList<KeyValuePair<string, byte[]>> xattrs;
            try
            {
                xattrs = tap.TakeXattrs(entry);
            }
            catch (InvalidDataException e)
            {
                throw new BadRequestException($"{_archive}: {e.Message}");
            }
            ApplyEntry(entry, xattrs, cancellationToken);
            previous = entry.Name;
        }
    }

    private TarEntry? NextEntry(TarReader reader, string? previous)
    {
        try
        {
            return reader.GetNextEntry(copyData: false);
        }
        catch (Exception e) when (TarEntryRules.IsUnreadable(e))
        {
            var where = previous is null ? "" : $" after entry \"{previous}\"";
            throw new BadRequestException($"{_archive}: not a readable tar archive{where}: {e.Message}");
        }
    }

    /// <summary>Gives directories their metadata, deepest first, and says what was done.</summary>
    public ExtractResult Finish()
    {
        ApplyDirectoryMetadata();
        return new ExtractResult(_entries, _skippedDeviceNodes);
    }

    private void ApplyEntry(TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs, CancellationToken cancellationToken)
    {
        var relative = TarEntryRules.Check(entry, _archive);
        if (_layer && TryWhiteout(entry, relative))
            return;

        try
        {
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    MakeDirectory(entry, relative, xattrs);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    WriteFile(entry, relative, xattrs, cancellationToken);
                    break;
                case TarEntryType.SymbolicLink:
                    MakeSymbolicLink(entry, relative, xattrs);
                    break;
                case TarEntryType.HardLink:
                    MakeHardLink(entry, relative);
                    break;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice when !_options.AllowDeviceNodes:
                    _skippedDeviceNodes++;
                    return;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                    MakeSpecialFile(entry, relative, xattrs);
                    break;
                default:
                    throw new System.Diagnostics.UnreachableException($"TarEntryRules let a {entry.EntryType} entry through");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not EndOfStreamException)
        {
            throw new IOException($"{_archive}: entry \"{entry.Name}\": {e.Message}", e);
        }
        _entries++;
    }

    private void MakeDirectory(TarEntry entry, string relative, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        if (relative.Length > 0)
        {
            var path = PrepareParents(entry, relative);
            switch (PathKinds.Of(path))
            {
                case PathKind.Directory:
                    break;
                case PathKind.Missing:
                    Directory.CreateDirectory(path);
                    break;
                default:
                    File.Delete(path); // a file or a link in the way: the link itself goes, never what it points at
                    Directory.CreateDirectory(path);
                    break;
            }
            _touched.Add(relative);
        }
        DeferDirectoryMetadata(entry, relative, xattrs);
    }

    private void WriteFile(TarEntry entry, string relative, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs, CancellationToken cancellationToken)
    {
        var path = PrepareLeaf(entry, relative);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // O_EXCL: fails rather than follow anything that appeared at the path
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var file = new FileStream(path, options))
        {
            if (entry.DataStream is { } data)
            {
                try
                {
                    Copy(data, file, cancellationToken);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
                {
                    throw new BadRequestException($"{_archive}: entry \"{entry.Name}\": {e.Message}");
                }
            }
        }
        ApplyMetadata(path, entry, xattrs, symbolicLink: false);
        _extracted.Add(relative);
    }

    private void Copy(Stream source, FileStream destination, CancellationToken cancellationToken)
    {
        int read;
        while ((read = source.Read(_buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            destination.Write(_buffer, 0, read);
        }
    }

    private void MakeSymbolicLink(TarEntry entry, string relative, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        var path = PrepareLeaf(entry, relative);
        // The link's text is stored as it is: it is never followed here, and inside the container it resolves there.
        File.CreateSymbolicLink(path, entry.LinkName);
        ApplyMetadata(path, entry, xattrs, symbolicLink: true);
        _extracted.Add(relative);
    }

    private void MakeHardLink(TarEntry entry, string relative)
    {
        var target = EntryPath.Normalize(entry.LinkName)!; // TarEntryRules refused a target outside
        if (!_extracted.Contains(target))
            throw Refuse(entry, TarEntryRules.HardLinkToUnknown(entry));
        if (target == relative)
            return; // a link to itself: already there
        var targetPath = ExistingPath(entry, target);
        if (targetPath is null || PathKinds.Of(targetPath) is PathKind.Missing or PathKind.Directory)
            throw Refuse(entry, $"is a hard link to \"{entry.LinkName}\", which is no longer a file");
        var path = PrepareLeaf(entry, relative);
        // Metadata belongs to the inode the link shares; the entry it was written with set it.
        Ownership.HardLink(targetPath, path);
        _extracted.Add(relative);
    }

    private void MakeSpecialFile(TarEntry entry, string relative, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        var path = PrepareLeaf(entry, relative);
        entry.ExtractToFile(path, overwrite: false); // mknod or mkfifo; the path is free and its parents are checked
        ApplyMetadata(path, entry, xattrs, symbolicLink: false);
        _extracted.Add(relative);
    }

    private BadRequestException Refuse(TarEntry entry, string problem) => TarEntryRules.Refuse(_archive, entry, problem);
}
