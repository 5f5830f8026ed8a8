namespace Vessel.Linux;

public static class Ownership
{
    /// <summary>Sets the owner of a path without following a final symlink (lchown).</summary>
    public static void Set(string path, int uid, int gid) =>
        LinuxException.ThrowIfFailed(Interop.Lchown(path, uid, gid), $"chown {uid}:{gid} {path}");
}
