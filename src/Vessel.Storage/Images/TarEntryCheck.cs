using System.Formats.Tar;

namespace Vessel.Storage.Images;

/// <summary>
/// TarEntryRules over a whole archive, entry by entry as they stream past, without writing anything: a model of which
/// paths are symbolic links and which are files stands in for the disk, so that an entry written through a link the
/// archive made, or a hard link to something it did not write before, is refused as extraction would refuse it.
/// </summary>
internal sealed class TarEntryCheck(string archive)
{
    private readonly HashSet<string> _links = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);

    /// <returns>The entry's relative path.</returns>
    /// <exception cref="Vessel.Core.BadRequestException">The entry breaks a rule; the message names it.</exception>
    public string Check(TarEntry entry)
    {
        var relative = TarEntryRules.Check(entry, archive);
        foreach (var ancestor in EntryPath.Ancestors(relative))
        {
            if (_links.Contains(ancestor))
                throw TarEntryRules.Refuse(archive, entry, TarEntryRules.ThroughSymbolicLink(ancestor));
        }
        if (entry.EntryType == TarEntryType.HardLink && !_files.Contains(EntryPath.Normalize(entry.LinkName)!))
            throw TarEntryRules.Refuse(archive, entry, TarEntryRules.HardLinkToUnknown(entry));

        // What extraction leaves at the path: a directory replaces a link, anything else replaces what was there.
        _links.Remove(relative);
        _files.Remove(relative);
        if (entry.EntryType == TarEntryType.SymbolicLink)
            _links.Add(relative);
        if (entry.EntryType != TarEntryType.Directory)
            _files.Add(relative);
        return relative;
    }
}
