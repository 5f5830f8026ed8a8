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

    /// <summary>The owner of a path, not following a final symlink (statx).</summary>
    public static unsafe (int Uid, int Gid) Of(string path)
    {
        var buffer = stackalloc byte[256];
        var name = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.Statx, -100 /* AT_FDCWD */, name, 0x100 /* AT_SYMLINK_NOFOLLOW */,
                0x18 /* STATX_UID | STATX_GID */, (nint)buffer), $"statx {path}");
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeCoTaskMem(name);
        }
        return (*(int*)(buffer + 20), *(int*)(buffer + 24)); // stx_uid, stx_gid
    }

    /// <summary>Sets the owner of a path without following a final symlink (lchown).</summary>
    public static void Set(string path, int uid, int gid) =>
        LinuxException.ThrowIfFailed(Interop.Lchown(path, uid, gid), $"chown {uid}:{gid} {path}");
}
