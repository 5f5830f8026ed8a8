using System.Formats.Tar;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// The rules an archive entry must keep that its header alone decides, in one place: TarExtraction applies them as it
/// writes (with the disk's lstat for what the tree holds), TarEntryCheck at import (with a model of the tree, nothing
/// written), so that an archive refused at launch is refused when it is imported already.
/// </summary>
internal static class TarEntryRules
{
    /// <summary>The entry's path relative to the target ("" for the target itself).</summary>
    /// <param name="archive">Names the archive in the error: a file name, or a layer.</param>
    /// <exception cref="BadRequestException">A rule is broken; the message names the entry.</exception>
    public static string Check(TarEntry entry, string archive)
    {
        var relative = EntryPath.Normalize(entry.Name) ?? throw Refuse(archive, entry, "leaves the target directory");
        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)))
            throw Refuse(archive, entry, "is a sparse file, which is not supported");
        switch (entry.EntryType)
        {
            case TarEntryType.Directory or TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile
                or TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                break;
            case TarEntryType.SymbolicLink when string.IsNullOrEmpty(entry.LinkName):
                throw Refuse(archive, entry, "is a symbolic link to nothing");
            case TarEntryType.SymbolicLink:
                break;
            case TarEntryType.HardLink when EntryPath.Normalize(entry.LinkName) is null:
                throw Refuse(archive, entry, $"is a hard link to \"{entry.LinkName}\", which is outside the target directory");
            case TarEntryType.HardLink:
                break;
            default:
                throw Refuse(archive, entry, $"has type {entry.EntryType}, which cannot be extracted");
        }
        return relative;
    }

    public static string ThroughSymbolicLink(string ancestor) => $"would be written through the symbolic link \"{ancestor}\"";

    public static string HardLinkToUnknown(TarEntry entry) => $"is a hard link to \"{entry.LinkName}\", which is not a file extracted before it";

    public static BadRequestException Refuse(string archive, TarEntry entry, string problem) => new($"{archive}: entry \"{entry.Name}\" {problem}");
}
