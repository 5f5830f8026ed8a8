using System.Formats.Tar;

namespace Vessel.Storage.Images;

/// <summary>
/// TarEntryRules over a whole archive, or the layers of an OCI image in order, entry by entry as they stream past,
/// without writing anything: a model of which paths are symbolic links and which are files stands in for the disk, so
/// that an entry written through a link the archive made, or a hard link to something not written before it, is
/// refused as extraction would refuse it. Whiteouts take lower layers' paths out of the model as they take them off disk.
/// </summary>
internal sealed class TarEntryCheck(string archive)
{
    private readonly HashSet<string> _links = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    // What the current layer wrote, with every directory above it: its whiteouts spare these (TarExtraction's _touched).
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
    private string _archive = archive;
    private bool _layer;

    /// <summary>The entries that follow are the next OCI layer, named so in errors.</summary>
    public void NextLayer(string layerName)
    {
        _archive = layerName;
        _layer = true;
        _touched.Clear();
    }

    /// <returns>The entry's relative path.</returns>
    /// <exception cref="Vessel.Core.BadRequestException">The entry breaks a rule; the message names it.</exception>
    public string Check(TarEntry entry)
    {
        var relative = TarEntryRules.Check(entry, _archive);
        foreach (var ancestor in EntryPath.Ancestors(relative))
        {
            if (_links.Contains(ancestor))
                throw TarEntryRules.Refuse(_archive, entry, TarEntryRules.ThroughSymbolicLink(ancestor));
        }
        if (_layer && TarEntryRules.Whiteout(entry, relative, _archive) is { } whiteout)
        {
            if (!whiteout.Ignored)
                Forget(whiteout.Hidden is null ? whiteout.Parent : EntryPath.Combine(whiteout.Parent, whiteout.Hidden), whiteout.Hidden is null);
            return relative;
        }
        if (entry.EntryType == TarEntryType.HardLink && !_files.Contains(EntryPath.Normalize(entry.LinkName)!))
            throw TarEntryRules.Refuse(_archive, entry, TarEntryRules.HardLinkToUnknown(entry));

        // What extraction leaves at the path: a directory replaces a link, anything else replaces what was there.
        _links.Remove(relative);
        _files.Remove(relative);
        if (entry.EntryType == TarEntryType.SymbolicLink)
            _links.Add(relative);
        if (entry.EntryType != TarEntryType.Directory)
            _files.Add(relative);
        _touched.UnionWith(EntryPath.Ancestors(relative));
        _touched.Add(relative);
        return relative;
    }

    /// <summary>Takes a path the current layer did not write (and what is under it) out of the model; only its contents when <paramref name="contentsOnly"/>.</summary>
    private void Forget(string relative, bool contentsOnly)
    {
        foreach (var set in new[] { _links, _files })
            set.RemoveWhere(p => !_touched.Contains(p) && EntryPath.IsUnder(p, relative) && !(contentsOnly && p == relative));
    }
}
