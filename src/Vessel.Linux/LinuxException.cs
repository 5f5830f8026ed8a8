using System.Runtime.InteropServices;

namespace Vessel.Linux;

/// <summary>A failed system call: what was asked, and the errno the kernel answered with. An IOException, as .NET's
/// own file APIs throw for errno failures.</summary>
public sealed class LinuxException(string call, int errno)
    : IOException($"{call}: {Marshal.GetPInvokeErrorMessage(errno)} ({Vessel.Linux.Errno.Name(errno)})", errno)
{
    public int Errno { get; } = errno;

    public string Call { get; } = call;

    /// <summary>Throws with the errno of the last P/Invoke when its result says it failed.</summary>
    public static int ThrowIfFailed(int result, string call) =>
        result < 0 ? throw new LinuxException(call, Marshal.GetLastPInvokeError()) : result;

    public static long ThrowIfFailed(long result, string call) =>
        result < 0 ? throw new LinuxException(call, Marshal.GetLastPInvokeError()) : result;
}

/// <summary>The errno values the runtime looks at by name.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10, EAGAIN = 11,
        ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENOTDIR = 20, EINVAL = 22, ENOSPC = 28,
        ENOSYS = 38, ENOTEMPTY = 39;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO", EBADF => "EBADF",
        ECHILD => "ECHILD", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES", EFAULT => "EFAULT",
        EBUSY => "EBUSY", EEXIST => "EEXIST", ENOTDIR => "ENOTDIR", EINVAL => "EINVAL", ENOSPC => "ENOSPC",
        ENOSYS => "ENOSYS", ENOTEMPTY => "ENOTEMPTY",
        _ => $"errno {errno}",
    };
}
