using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>File descriptors the runtime hands between processes.</summary>
public static unsafe class Fds
{
    private const int OCloexec = 0x80000;

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

    /// <summary>Marks an fd close-on-exec, so a peer reading its other end sees EOF once this process execs.</summary>
    public static void SetCloseOnExec(int fd) => LinuxException.ThrowIfFailed(Interop.Fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */), $"fcntl {fd}");

    /// <summary>
    /// Opens a path inside another root (e.g. a container's /proc/PID/root) with openat2 and RESOLVE_IN_ROOT: the
    /// container's symlinks, absolute ones included, cannot lead the lookup out of its root to a host file.
    /// </summary>
    public static SafeFileHandle OpenInRoot(string root, string relativePath, int flags)
    {
        using var rootFd = Open(root, 0x200000 /* O_PATH */ | 0x10000 /* O_DIRECTORY */);
        var how = stackalloc ulong[3] { (ulong)(flags | OCloexec), 0, 0x10 /* RESOLVE_IN_ROOT */ | 0x02 /* RESOLVE_NO_MAGICLINKS */ };
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

    public static int Number(SafeFileHandle handle) => (int)handle.DangerousGetHandle();
}
