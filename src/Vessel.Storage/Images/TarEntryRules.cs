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

    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";

    /// <summary>
    /// What an OCI layer's whiteout entry (image-spec layer.md) hides in <c>Parent</c>: <c>Hidden</c> names one entry, or is
    /// null for an opaque whiteout (everything the layers below put there); <c>Ignored</c> for other AUFS bookkeeping
    /// (.wh..wh.plnk, …). Null when the entry is no whiteout.
    /// </summary>
    /// <exception cref="BadRequestException">A ".wh." name that hides nothing nameable.</exception>
    public static (string Parent, string? Hidden, bool Ignored)? Whiteout(TarEntry entry, string relative, string archive)
    {
        var name = EntryPath.Name(relative);
        if (!name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            return null;
        var parent = EntryPath.Parent(relative);
        if (name == OpaqueWhiteout)
            return (parent, null, false);
        if (name.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
            return (parent, null, true);
        var hidden = name[WhiteoutPrefix.Length..];
        return hidden is "" or "." or ".."
            ? throw Refuse(archive, entry, "is not a valid whiteout")
            : (parent, hidden, false);
    }

    /// <summary>What TarReader and the decompressors throw for an archive that is not one, or is cut short.</summary>
    public static bool IsUnreadable(Exception e) =>
        e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException;

    public static string ThroughSymbolicLink(string ancestor) => $"would be written through the symbolic link \"{ancestor}\"";

    public static string HardLinkToUnknown(TarEntry entry) => $"is a hard link to \"{entry.LinkName}\", which is not a file extracted before it";

    public static BadRequestException Refuse(string archive, TarEntry entry, string problem) => new($"{archive}: entry \"{entry.Name}\" {problem}");
}
