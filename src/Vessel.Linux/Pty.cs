using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>A pseudo-terminal pair: the supervisor keeps the master, the container's console is the slave.</summary>
public static unsafe class Pty
{
    private const int ORdwr = 2, ONoctty = 0x100, OCloexec = 0x80000;

    public static (SafeFileHandle Master, string SlavePath) Open()
    {
        var fd = LinuxException.ThrowIfFailed(Interop.PosixOpenpt(ORdwr | ONoctty | OCloexec), "posix_openpt");
        var master = new SafeFileHandle(fd, ownsHandle: true);
        LinuxException.ThrowIfFailed(Interop.Grantpt(fd), "grantpt");
        LinuxException.ThrowIfFailed(Interop.Unlockpt(fd), "unlockpt");
        var name = stackalloc byte[128];
        var error = Interop.PtsnameR(fd, name, 128);
        if (error != 0)
            throw new LinuxException("ptsname_r", error);
        return (master, Encoding.ASCII.GetString(name, new ReadOnlySpan<byte>(name, 128).IndexOf((byte)0)));
    }

    /// <summary>Opens the slave side without making it this process's controlling terminal.</summary>
    public static SafeFileHandle OpenSlave(string path) => Fds.Open(path, ORdwr | ONoctty);
}
