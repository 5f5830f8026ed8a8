using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>File descriptors the runtime hands between processes.</summary>
public static unsafe class Fds
{
    private const int ORdonly = 0, OWronly = 0x1, OCreat = 0x40, OTrunc = 0x200, ONonblock = 0x800, ODirectory = 0x10000, OPath = 0x200000, OCloexec = 0x80000;
    private const ulong ResolveNoMagicLinks = 0x02, ResolveNoSymlinks = 0x04, ResolveInRoot = 0x10;

    /// <summary>A close-on-exec pipe; pass an end to a spawned child through SpawnOptions.Fds.</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe()
    {
        var fds = stackalloc int[2];
        LinuxException.ThrowIfFailed(Interop.Pipe2(fds, OCloexec), "pipe2");
        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Opens a path close-on-exec with raw open(2) flags, e.g. /proc/PID/ns/user with O_RDONLY; a file it creates is 0600.</summary>
    public static SafeFileHandle Open(string path, int flags = 0) =>
        new(LinuxException.ThrowIfFailed(Interop.Open(path, flags | OCloexec, 0b110_000_000), $"open {path}"), ownsHandle: true);

    /// <summary>Makes reads and writes on the fd fail with EAGAIN instead of waiting.</summary>
    public static void SetNonBlocking(SafeFileHandle handle)
    {
        var fd = Number(handle);
        var flags = LinuxException.ThrowIfFailed(Interop.Fcntl(fd, 3 /* F_GETFL */, 0), $"fcntl {fd}");
        LinuxException.ThrowIfFailed(Interop.Fcntl(fd, 4 /* F_SETFL */, flags | ONonblock), $"fcntl {fd}");
    }

    /// <summary>Marks an fd close-on-exec, so a peer reading its other end sees EOF once this process execs.</summary>
    public static void SetCloseOnExec(int fd) => LinuxException.ThrowIfFailed(Interop.Fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */), $"fcntl {fd}");

    /// <summary>
    /// Opens a path inside another root (e.g. a container's /proc/PID/root) with openat2 and RESOLVE_IN_ROOT: the
    /// container's symlinks, absolute ones included, cannot lead the lookup out of its root to a host file. A file that
    /// O_CREAT makes gets <paramref name="createMode"/>.
    /// </summary>
    public static SafeFileHandle OpenInRoot(string root, string relativePath, int flags, UnixFileMode createMode = 0) =>
        Openat2(root, relativePath, flags, createMode, ResolveInRoot | ResolveNoMagicLinks);

    /// <summary>
    /// Opens a directory inside another root O_PATH, as <see cref="OpenInRoot"/> does but through no symlink at all: a link
    /// made inside the root, even one that stays in it, could lead to another directory than the path names.
    /// </summary>
    public static SafeFileHandle OpenDirectoryInRootWithoutLinks(string root, string relativePath) =>
        Openat2(root, relativePath, OPath | ODirectory, 0, ResolveInRoot | ResolveNoSymlinks);

    private static SafeFileHandle Openat2(string root, string relativePath, int flags, UnixFileMode createMode, ulong resolve)
    {
        using var rootFd = Open(root, OPath | ODirectory);
        var how = stackalloc ulong[3] { (ulong)(flags | OCloexec), (flags & OCreat) != 0 ? (ulong)createMode : 0, resolve };
        var path = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(relativePath);
        try
        {
            var fd = LinuxException.ThrowIfFailed(
                Interop.Syscall(SyscallNumbers.Openat2, Number(rootFd), path, (nint)how, 24, 0), $"open {relativePath} in {root}");
            return new SafeFileHandle((nint)fd, ownsHandle: true);
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeCoTaskMem(path);
        }
    }

    /// <summary>
    /// Opens a regular file inside another root (as <see cref="OpenInRoot"/>) to read it, or to write it: made with
    /// <paramref name="createMode"/> when missing (also behind a dangling link), emptied when there. Whatever else is
    /// there (a device node, a FIFO, a directory) is refused before it is opened for real: the path is first opened
    /// O_PATH, which touches nothing, its type checked, and only then that very inode opened again through
    /// /proc/self/fd. A file that is missing is opened O_CREAT and O_NONBLOCK (a FIFO made meanwhile does not block)
    /// and checked after.
    /// </summary>
    /// <param name="creator">The host ids a new file is made as, for a root whose file system belongs to a user namespace
    /// (an unprivileged container's overlay refuses, with EOVERFLOW, to make a file for a uid it does not map). This
    /// thread takes them as its file-system ids while it makes the file, and with them the permissions of that user
    /// without capabilities: the directory must be writable by it.</param>
    /// <exception cref="LinuxException">The lookup failed (ENOENT: not there, or its directory is not).</exception>
    /// <exception cref="IOException">It is not a regular file.</exception>
    public static SafeFileHandle OpenRegularInRoot(string root, string relativePath, bool write, UnixFileMode createMode,
        (uint Uid, uint Gid)? creator = null)
    {
        SafeFileHandle opened;
        try
        {
            using var located = OpenInRoot(root, relativePath, OPath);
            if (!IsRegularFile(located))
                throw new IOException("not a regular file");
            return Open($"/proc/self/fd/{Number(located)}", write ? OWronly | OTrunc : ORdonly);
        }
        catch (LinuxException e) when (e.Errno == Errno.ENOENT && write)
        {
            var flags = OWronly | OCreat | OTrunc | ONonblock;
            if (creator is not { } ids)
            {
                opened = OpenInRoot(root, relativePath, flags, createMode);
            }
            else
            {
                var previousGid = Interop.Setfsgid(ids.Gid);
                var previousUid = Interop.Setfsuid(ids.Uid);
                try
                {
                    // setfsuid reports nothing but the old id; an invalid id (-1) changes nothing and tells the current one.
                    if (Interop.Setfsuid(uint.MaxValue) != ids.Uid || Interop.Setfsgid(uint.MaxValue) != ids.Gid)
                        throw new LinuxException($"setfsuid {ids.Uid} / setfsgid {ids.Gid}", Errno.EPERM);
                    opened = OpenInRoot(root, relativePath, flags, createMode);
                }
                finally
                {
                    _ = Interop.Setfsuid((uint)previousUid); // back to 0 gives the file-system capabilities back
                    _ = Interop.Setfsgid((uint)previousGid);
                }
            }
        }
        if (IsRegularFile(opened))
            return opened;
        opened.Dispose();
        throw new IOException("not a regular file");
    }

    /// <summary>statx(2) on the fd itself: true for a regular file.</summary>
    public static bool IsRegularFile(SafeFileHandle handle)
    {
        var buffer = stackalloc byte[256];
        Statx(handle, 0x1 /* STATX_TYPE */, buffer);
        var mode = *(ushort*)(buffer + 28); // stx_mode
        return (mode & 0xF000) == 0x8000; // S_IFREG
    }

    /// <summary>Whether two fds are the same file: the same inode on the same device, through whichever mounts.</summary>
    public static bool SameFile(SafeFileHandle a, SafeFileHandle b)
    {
        var first = stackalloc byte[256];
        var second = stackalloc byte[256];
        Statx(a, 0x100 /* STATX_INO */, first);
        Statx(b, 0x100 /* STATX_INO */, second);
        // stx_ino at 32; stx_dev_major and stx_dev_minor at 136 and 140.
        return *(ulong*)(first + 32) == *(ulong*)(second + 32) && *(ulong*)(first + 136) == *(ulong*)(second + 136);
    }

    private static void Statx(SafeFileHandle handle, int mask, byte* buffer)
    {
        var empty = stackalloc byte[1] { 0 };
        LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.Statx, Number(handle), (nint)empty, 0x1000 /* AT_EMPTY_PATH */,
            mask, (nint)buffer), "statx");
    }

    /// <summary>Sets an open file's owner (fchown).</summary>
    public static void Chown(SafeFileHandle handle, uint uid, uint gid) =>
        LinuxException.ThrowIfFailed(Interop.Fchown(Number(handle), uid, gid), $"fchown {uid}:{gid}");

    /// <summary>
    /// Removes the first <paramref name="length"/> bytes of a file in place (fallocate FALLOC_FL_COLLAPSE_RANGE), under the
    /// inode lock, so that a process appending (O_APPEND) meanwhile loses nothing. False where the file system cannot
    /// (EOPNOTSUPP: tmpfs, btrfs; EINVAL: a length not a multiple of its block size, or reaching the end of the file).
    /// </summary>
    public static bool TryCollapseFront(SafeFileHandle handle, long length)
    {
        if (Interop.Fallocate(Number(handle), 0x08 /* FALLOC_FL_COLLAPSE_RANGE */, 0, length) == 0)
            return true;
        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return errno is 95 /* EOPNOTSUPP */ or Errno.EINVAL ? false : throw new LinuxException("fallocate COLLAPSE_RANGE", errno);
    }

    public static int Number(SafeFileHandle handle) => (int)handle.DangerousGetHandle();
}
