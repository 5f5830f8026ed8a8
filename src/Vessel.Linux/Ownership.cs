namespace Vessel.Linux;

/// <summary>File metadata .NET has no API for: ownership without following links, extended attributes, hard links, file types.</summary>
public static class Ownership
{
    /// <summary>Sets an extended attribute on a path, not following a final symlink (lsetxattr).</summary>
    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value) =>
        LinuxException.ThrowIfFailed(Interop.Lsetxattr(path, name, value, (nuint)value.Length, 0), $"lsetxattr {name} {path}");

    /// <summary>Makes a hard link; link(2) does not follow <paramref name="existing"/> when it is a symlink.</summary>
    public static void HardLink(string existing, string created) =>
        LinuxException.ThrowIfFailed(Interop.Link(existing, created), $"link {created} to {existing}");

    /// <summary>The owner of a path, not following a final symlink (statx).</summary>
    public static (int Uid, int Gid) Of(string path)
    {
        Span<byte> status = stackalloc byte[256];
        Statx(path, 0x18 /* STATX_UID | STATX_GID */, status);
        return (BitConverter.ToInt32(status[20..]), BitConverter.ToInt32(status[24..])); // stx_uid, stx_gid
    }

    /// <summary>Whether a path is a regular file itself: not a symlink (not followed), directory, device or FIFO.</summary>
    public static bool IsRegularFile(string path)
    {
        Span<byte> status = stackalloc byte[256];
        Statx(path, 0x1 /* STATX_TYPE */, status);
        return (BitConverter.ToUInt16(status[28..]) & 0xF000) == 0x8000; // stx_mode & S_IFMT == S_IFREG
    }

    internal static unsafe void Statx(string path, int mask, Span<byte> status)
    {
        var name = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            fixed (byte* buffer = status)
                LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.Statx, -100 /* AT_FDCWD */, name, 0x100 /* AT_SYMLINK_NOFOLLOW */,
                    mask, (nint)buffer), $"statx {path}");
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeCoTaskMem(name);
        }
    }

    /// <summary>Sets the owner of a path without following a final symlink (lchown).</summary>
    public static void Set(string path, int uid, int gid) =>
        LinuxException.ThrowIfFailed(Interop.Lchown(path, uid, gid), $"chown {uid}:{gid} {path}");
}
