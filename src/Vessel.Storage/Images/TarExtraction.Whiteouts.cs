using System.Formats.Tar;

namespace Vessel.Storage.Images;

// OCI layer whiteouts (image-spec layer.md): ".wh.NAME" deletes NAME from the layers below, ".wh..wh..opq" hides
// everything the layers below put in its directory. Neither touches what the current layer itself wrote, whatever
// the order of the entries in the layer.
internal sealed partial class TarExtraction
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueWhiteout = ".wh..wh..opq";

    /// <returns>True when the entry was a whiteout (and has been applied).</returns>
    private bool TryWhiteout(TarEntry entry, string relative)
    {
        var name = EntryPath.Name(relative);
        if (!name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            return false;

        var parent = EntryPath.Parent(relative);
        if (ExistingPath(entry, relative) is null || PathKinds.Of(FullPath(parent)) != PathKind.Directory)
            return true; // its directory is not there: nothing below to hide
        foreach (var ancestor in EntryPath.Ancestors(relative))
            _touched.Add(ancestor);

        if (name == OpaqueWhiteout)
        {
            HideLowerEntries(parent);
            return true;
        }
        if (name.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
            return true; // other AUFS bookkeeping (.wh..wh.plnk, …) means nothing here

        var hidden = name[WhiteoutPrefix.Length..];
        if (hidden is "" or "." or "..")
            throw Refuse(entry, "is not a valid whiteout");
        var target = EntryPath.Combine(parent, hidden);
        if (!_touched.Contains(target) && PathKinds.Of(FullPath(target)) != PathKind.Missing)
            Remove(target);
        return true;
    }

    /// <summary>Deletes everything in a directory that the current layer did not write.</summary>
    private void HideLowerEntries(string directory)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(FullPath(directory)).ToList())
        {
            var relative = EntryPath.Combine(directory, Path.GetFileName(child));
            if (!_touched.Contains(relative))
                Remove(relative);
            else if (PathKinds.Of(child) == PathKind.Directory)
                HideLowerEntries(relative);
        }
    }
}
