using Vessel.Linux;
using System.Formats.Tar;

namespace Vessel.Storage.Images;

// Where an entry lands: every directory above it is walked one component at a time with lstat, so a symbolic link
// the archive made (or one that was there before) is never followed on the way in.
internal sealed partial class TarExtraction
{
    private string FullPath(string relative) => relative.Length == 0 ? _root : $"{_root}/{relative}";

    /// <summary>Makes sure every directory above <paramref name="relative"/> is a real directory, creating missing ones.</summary>
    private string PrepareParents(TarEntry entry, string relative)
    {
        foreach (var ancestor in EntryPath.Ancestors(relative))
        {
            var path = FullPath(ancestor);
            switch (PathKinds.Of(path))
            {
                case PathKind.Directory:
                    break;
                case PathKind.Missing:
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, DefaultDirectoryMode);
                    if (_privileged && (_options.UidOffset != 0 || _options.GidOffset != 0))
                        Ownership.Set(path, _options.UidOffset, _options.GidOffset);
                    break;
                case PathKind.SymbolicLink:
                    throw Refuse(entry, TarEntryRules.ThroughSymbolicLink(ancestor));
                default:
                    throw Refuse(entry, $"needs \"{ancestor}\" to be a directory, but it is a file");
            }
            _touched.Add(ancestor);
        }
        return FullPath(relative);
    }

    /// <summary>
    /// Readies the path of a non-directory entry: parents checked, whatever non-directory is there removed (a link
    /// is unlinked, never followed). A directory is replaced only when it came from a lower layer.
    /// </summary>
    private string PrepareLeaf(TarEntry entry, string relative)
    {
        if (relative.Length == 0)
            throw Refuse(entry, "would replace the target directory");
        var path = PrepareParents(entry, relative);
        switch (PathKinds.Of(path))
        {
            case PathKind.Missing:
                break;
            case PathKind.Directory when _layer && !_touched.Contains(relative):
                Remove(relative);
                break;
            case PathKind.Directory:
                throw Refuse(entry, $"would replace the directory \"{relative}\" with a {Describe(entry.EntryType)}");
            default:
                File.Delete(path);
                break;
        }
        _touched.Add(relative);
        return path;
    }

    /// <summary>The full path of something already in the tree, or null when a directory above it is missing or not a real directory.</summary>
    private string? ExistingPath(TarEntry entry, string relative)
    {
        foreach (var ancestor in EntryPath.Ancestors(relative))
        {
            switch (PathKinds.Of(FullPath(ancestor)))
            {
                case PathKind.Directory:
                    break;
                case PathKind.SymbolicLink:
                    throw Refuse(entry, $"refers to a path through the symbolic link \"{ancestor}\"");
                default:
                    return null;
            }
        }
        return FullPath(relative);
    }

    /// <summary>Deletes a path and everything under it; links inside are unlinked, not followed.</summary>
    private void Remove(string relative)
    {
        var path = FullPath(relative);
        if (PathKinds.Of(path) == PathKind.Directory)
            Directory.Delete(path, recursive: true);
        else
            File.Delete(path);
        ForgetDirectoryMetadata(relative);
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "device node",
        TarEntryType.Fifo => "FIFO",
        _ => "file",
    };
}
