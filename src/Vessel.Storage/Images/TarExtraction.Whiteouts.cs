using System.Formats.Tar;

namespace Vessel.Storage.Images;

// OCI layer whiteouts (image-spec layer.md): ".wh.NAME" deletes NAME from the layers below, ".wh..wh..opq" hides
// everything the layers below put in its directory. Neither touches what the current layer itself wrote, whatever
// the order of the entries in the layer.
internal sealed partial class TarExtraction
{
    /// <returns>True when the entry was a whiteout (and has been applied).</returns>
    private bool TryWhiteout(TarEntry entry, string relative)
    {
        if (TarEntryRules.Whiteout(entry, relative, _archive) is not { } whiteout)
            return false;

        if (ExistingPath(entry, relative) is null || PathKinds.Of(FullPath(whiteout.Parent)) != PathKind.Directory)
            return true; // its directory is not there: nothing below to hide
        foreach (var ancestor in EntryPath.Ancestors(relative))
            _touched.Add(ancestor);

        if (whiteout.Ignored)
            return true;
        if (whiteout.Hidden is null)
        {
            HideLowerEntries(whiteout.Parent);
            return true;
        }
        var target = EntryPath.Combine(whiteout.Parent, whiteout.Hidden);
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
