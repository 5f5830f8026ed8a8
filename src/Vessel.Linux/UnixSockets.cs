using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>
/// Unix stream sockets as plain fds, for a process that serves a few of them from one poll loop: a .NET Socket
/// starts the runtime's socket engine thread as soon as one is made.
/// </summary>
public static unsafe class UnixSockets
{
    private const int AfUnix = 1, SockStream = 1, SockCloexec = 0x80000, SolSocket = 1, SoSndtimeo = 21;

    /// <summary>A listening socket at <paramref name="path"/>, which must not exist.</summary>
    public static SafeFileHandle Listen(string path, int backlog)
    {
        var name = Encoding.UTF8.GetBytes(path);
        // struct sockaddr_un: sa_family_t, then sun_path[108] NUL-terminated.
        if (name.Length > 107)
            throw new ArgumentException($"socket path {path} is longer than 107 bytes", nameof(path));
        var address = stackalloc byte[110];
        new Span<byte>(address, 110).Clear();
        *(ushort*)address = AfUnix;
        name.CopyTo(new Span<byte>(address + 2, 108));
        var socket = new SafeFileHandle(LinuxException.ThrowIfFailed(Interop.Socket(AfUnix, SockStream | SockCloexec, 0), "socket"), ownsHandle: true);
        try
        {
            LinuxException.ThrowIfFailed(Interop.Bind(Fds.Number(socket), address, 2 + name.Length + 1), $"bind {path}");
            LinuxException.ThrowIfFailed(Interop.Listen(Fds.Number(socket), backlog), $"listen {path}");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static SafeFileHandle Accept(SafeFileHandle listener) =>
        new(LinuxException.ThrowIfFailed(Interop.Accept4(Fds.Number(listener), null, null, SockCloexec), "accept4"), ownsHandle: true);

    /// <summary>Writes that wait longer than this fail (EAGAIN) instead.</summary>
    public static void SetSendTimeout(SafeFileHandle socket, TimeSpan timeout)
    {
        var value = stackalloc long[2] { (long)timeout.TotalSeconds, timeout.Milliseconds * 1000L }; // struct timeval
        LinuxException.ThrowIfFailed(Interop.Setsockopt(Fds.Number(socket), SolSocket, SoSndtimeo, value, 16), "setsockopt SO_SNDTIMEO");
    }
}
