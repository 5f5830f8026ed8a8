namespace Vessel.Storage.Images;

/// <summary>
/// An archive entry's name as a path relative to the target directory: leading '/' (as GNU tar does) and
/// "." components are dropped, a ".." component anywhere is refused.
/// </summary>
internal static class EntryPath
{
    /// <returns>The relative path ("" for the target itself), or null when the name has a ".." component.</returns>
    public static string? Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part.Length == 0 || part == ".")
                continue;
            if (part == "..")
                return null;
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>The directory holding a relative path: "" for a top-level name.</summary>
    public static string Parent(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }

    public static string Name(string relative) => relative[(relative.LastIndexOf('/') + 1)..];

    public static string Combine(string parent, string name) => parent.Length == 0 ? name : $"{parent}/{name}";

    /// <summary>"a/b/c" gives "a" and "a/b": every directory above the path, outermost first.</summary>
    public static IEnumerable<string> Ancestors(string relative)
    {
        for (var slash = relative.IndexOf('/'); slash >= 0; slash = relative.IndexOf('/', slash + 1))
            yield return relative[..slash];
    }

    public static bool IsUnder(string relative, string directory) =>
        directory.Length == 0 || relative == directory || relative.StartsWith(directory + "/", StringComparison.Ordinal);
}
