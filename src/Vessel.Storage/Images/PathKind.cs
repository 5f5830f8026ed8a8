namespace Vessel.Storage.Images;

/// <summary>What a path names, looked at with lstat: a symbolic link is never followed.</summary>
internal enum PathKind { Missing, Directory, SymbolicLink, Other }

internal static class PathKinds
{
    public static PathKind Of(string path)
    {
        // FileInfo reads lstat first and reports a link as ReparsePoint (plus Directory when it points at one);
        // a missing path reads as -1.
        var attributes = new FileInfo(path).Attributes;
        if ((int)attributes == -1)
            return PathKind.Missing;
        if (attributes.HasFlag(FileAttributes.ReparsePoint))
            return PathKind.SymbolicLink;
        return attributes.HasFlag(FileAttributes.Directory) ? PathKind.Directory : PathKind.Other;
    }
}
