namespace Vessel.Linux;

/// <summary>File metadata .NET has no API for: ownership without following links, extended attributes, hard links.</summary>
public static class Ownership
{
    /// <summary>Sets an extended attribute on a path, not following a final symlink (lsetxattr).</summary>
    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value) =>
        LinuxException.ThrowIfFailed(Interop.Lsetxattr(path, name, value, (nuint)value.Length, 0), $"lsetxattr {name} {path}");

    /// <summary>Makes a hard link; link(2) does not follow <paramref name="existing"/> when it is a symlink.</summary>
    public static void HardLink(string existing, string created) =>
        LinuxException.ThrowIfFailed(Interop.Link(existing, created), $"link {created} to {existing}");

    /// <summary>Sets the owner of a path without following a final symlink (lchown).</summary>
    public static void Set(string path, int uid, int gid) =>
        LinuxException.ThrowIfFailed(Interop.Lchown(path, uid, gid), $"chown {uid}:{gid} {path}");
}
