using Vessel.Linux;
using System.Formats.Tar;

namespace Vessel.Storage.Images;

// Ownership, mode, xattrs and mtime, in that order: chown clears setuid/setgid bits and security.capability, so the
// mode and the xattrs come after it; the mtime comes last. Directories get theirs only in Finish.
internal sealed partial class TarExtraction
{
    private const UnixFileMode DefaultDirectoryMode = (UnixFileMode)0b111_101_101; // 0755, for directories no entry describes
    private const int ModeBits = 0b111_111_111_111; // 07777: permissions with setuid, setgid and sticky

    private sealed record Metadata(uint Uid, uint Gid, UnixFileMode Mode, DateTimeOffset ModificationTime, IReadOnlyList<KeyValuePair<string, byte[]>> Xattrs);

    private readonly Dictionary<string, Metadata> _directories = new(StringComparer.Ordinal);

    private void ApplyMetadata(string path, TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs, bool symbolicLink) =>
        Apply(path, MetadataOf(entry, xattrs), symbolicLink);

    private void Apply(string path, Metadata metadata, bool symbolicLink)
    {
        if (_privileged)
            Ownership.Set(path, (int)metadata.Uid, (int)metadata.Gid);
        if (!symbolicLink)
            File.SetUnixFileMode(path, metadata.Mode); // never on a link: chmod would follow it
        foreach (var (name, value) in metadata.Xattrs)
        {
            // Without privileges only the user namespace can be written; the rest needs root, as ownership does.
            if (_privileged || name.StartsWith("user.", StringComparison.Ordinal))
                Ownership.SetXattr(path, name, value);
        }
        // On a link this sets the link's own time (utimensat with AT_SYMLINK_NOFOLLOW).
        File.SetLastWriteTimeUtc(path, metadata.ModificationTime.UtcDateTime);
    }

    private Metadata MetadataOf(TarEntry entry, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs)
    {
        var uid = (long)entry.Uid + _options.UidOffset;
        var gid = (long)entry.Gid + _options.GidOffset;
        // uid_t is 32 bits and (uid_t)-1 means "leave unchanged" to chown.
        if (entry.Uid < 0 || uid >= uint.MaxValue)
            throw Refuse(entry, $"has owner {entry.Uid}, which with the offset {_options.UidOffset} is not a valid uid");
        if (entry.Gid < 0 || gid >= uint.MaxValue)
            throw Refuse(entry, $"has group {entry.Gid}, which with the offset {_options.GidOffset} is not a valid gid");
        return new Metadata((uint)uid, (uint)gid, (UnixFileMode)((int)entry.Mode & ModeBits), entry.ModificationTime, xattrs);
    }

    private void DeferDirectoryMetadata(TarEntry entry, string relative, IReadOnlyList<KeyValuePair<string, byte[]>> xattrs) =>
        _directories[relative] = MetadataOf(entry, xattrs);

    private void ForgetDirectoryMetadata(string relative)
    {
        foreach (var key in _directories.Keys.Where(k => k.Length > 0 && EntryPath.IsUnder(k, relative)).ToList())
            _directories.Remove(key);
    }

    private void ApplyDirectoryMetadata()
    {
        if (_privileged && !_directories.ContainsKey("") && (_options.UidOffset != 0 || _options.GidOffset != 0))
            Ownership.Set(_root, _options.UidOffset, _options.GidOffset);

        // Deepest first: setting a directory's metadata does not touch its parent's mtime, but a read-only parent
        // would stop the children's from being set without root.
        foreach (var (relative, metadata) in _directories.OrderByDescending(d => d.Key.Length == 0 ? -1 : d.Key.Count(c => c == '/')))
        {
            var path = FullPath(relative);
            if (!IsRealDirectory(relative))
                continue; // replaced by a later layer
            try
            {
                Apply(path, metadata, symbolicLink: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"{_archive}: directory \"{(relative.Length == 0 ? "." : relative)}\": {e.Message}", e);
            }
        }
        _directories.Clear();
    }

    /// <summary>True when the path and every directory above it are real directories, not links.</summary>
    private bool IsRealDirectory(string relative) =>
        EntryPath.Ancestors(relative).All(a => PathKinds.Of(FullPath(a)) == PathKind.Directory) &&
        PathKinds.Of(FullPath(relative)) == PathKind.Directory;
}
