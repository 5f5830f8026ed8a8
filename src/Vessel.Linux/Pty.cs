using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>A pseudo-terminal pair: the supervisor keeps the master, the container's console is the slave.</summary>
public static unsafe class Pty
{
    private const int ORdwr = 2, ONoctty = 0x100, ONonblock = 0x800, OCloexec = 0x80000;

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

    /// <summary>
    /// Opens a pty in another devpts instance, such as a container's, through that root as seen from here
    /// (e.g. /proc/PID/root): its dev/ptmx gives the master, its dev/pts/N the slave.
    /// </summary>
    public static (SafeFileHandle Master, SafeFileHandle Slave) OpenIn(string root)
    {
        var master = Fds.OpenInRoot(root, "dev/ptmx", ORdwr | ONoctty | ONonblock);
        try
        {
            var number = 0;
            LinuxException.ThrowIfFailed(Interop.IoctlPointer(Fds.Number(master), TiocGptn, &number), "TIOCGPTN (is dev/ptmx a pty multiplexer?)");
            var unlock = 0;
            LinuxException.ThrowIfFailed(Interop.IoctlPointer(Fds.Number(master), TiocSptlck, &unlock), "TIOCSPTLCK");
            LinuxException.ThrowIfFailed(Interop.Fcntl(Fds.Number(master), 4 /* F_SETFL */, ORdwr), "fcntl F_SETFL"); // blocking again
            return (master, Fds.OpenInRoot(root, $"dev/pts/{number}", ORdwr | ONoctty));
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>Sets the terminal's size (through its master or its slave), which its program sees through TIOCGWINSZ and SIGWINCH.</summary>
    public static void Resize(SafeFileHandle terminal, int columns, int rows)
    {
        var size = stackalloc ushort[4] { (ushort)rows, (ushort)columns, 0, 0 };
        LinuxException.ThrowIfFailed(Interop.IoctlPointer(Fds.Number(terminal), TiocSwinsz, size), "TIOCSWINSZ");
    }

    private const nuint TiocGptn = 0x80045430, TiocSptlck = 0x40045431, TiocSwinsz = 0x5414;

    /// <summary>Opens the slave side without making it this process's controlling terminal.</summary>
    public static SafeFileHandle OpenSlave(string path) => Fds.Open(path, ORdwr | ONoctty | OCloexec);
}
