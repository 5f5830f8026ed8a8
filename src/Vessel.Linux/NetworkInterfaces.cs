using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>Network interfaces of the calling thread's network namespace, brought up with the classic ioctls.</summary>
public static unsafe class NetworkInterfaces
{
    private const int AfInet = 2, SockDgram = 2, SockCloexec = 0x80000;
    private const nuint SiocGifFlags = 0x8913, SiocSifFlags = 0x8914;
    private const short IffUp = 1;

    public static bool Exists(string name) => Interop.IfNameToIndex(name) != 0;

    /// <summary>Brings an interface up (lo, or a nic moved into a container).</summary>
    public static void Up(string name) => WithSocket(socket =>
    {
        // struct ifreq: char ifr_name[16], then a union; ifr_flags is a short at offset 16.
        var request = stackalloc byte[40];
        Name(request, name);
        LinuxException.ThrowIfFailed(Interop.Ioctl(socket, SiocGifFlags, (nint)request), $"SIOCGIFFLAGS {name}");
        *(short*)(request + 16) |= IffUp;
        LinuxException.ThrowIfFailed(Interop.Ioctl(socket, SiocSifFlags, (nint)request), $"SIOCSIFFLAGS {name}");
    });

    private static void Name(byte* request, string name)
    {
        new Span<byte>(request, 40).Clear();
        System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(request, 15));
    }

    private delegate void SocketAction(SafeFileHandle socket);

    private static void WithSocket(SocketAction action)
    {
        var fd = LinuxException.ThrowIfFailed(Interop.Socket(AfInet, SockDgram | SockCloexec, 0), "socket");
        using var socket = new SafeFileHandle(fd, ownsHandle: true);
        action(socket);
    }
}
