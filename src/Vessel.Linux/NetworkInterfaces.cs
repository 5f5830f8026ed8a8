using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

/// <summary>Network interfaces of the calling thread's network namespace, configured with the classic ioctls.</summary>
public static unsafe class NetworkInterfaces
{
    private const int AfInet = 2, SockDgram = 2, SockCloexec = 0x80000;
    private const nuint SiocAddRt = 0x890B, SiocGifFlags = 0x8913, SiocSifFlags = 0x8914, SiocSifAddr = 0x8916, SiocSifNetmask = 0x891C;
    private const short IffUp = 1;
    private const ushort RtfUp = 1, RtfGateway = 2;

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

    /// <summary>Gives the interface an IPv4 address and its subnet's mask (the broadcast address follows from them).</summary>
    public static void SetAddress(string name, uint address, int prefixLength) => WithSocket(socket =>
    {
        var request = stackalloc byte[40];
        Name(request, name);
        SocketAddress(request + 16, address);
        LinuxException.ThrowIfFailed(Interop.Ioctl(socket, SiocSifAddr, (nint)request), $"SIOCSIFADDR {name}");
        SocketAddress(request + 16, prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength));
        LinuxException.ThrowIfFailed(Interop.Ioctl(socket, SiocSifNetmask, (nint)request), $"SIOCSIFNETMASK {name}");
    });

    /// <summary>Adds the default route through the gateway.</summary>
    public static void AddDefaultRoute(uint gateway) => WithSocket(socket =>
    {
        // struct rtentry (x86_64 and aarch64): rt_dst at 8, rt_gateway at 24, rt_genmask at 40, rt_flags at 56; 120 bytes.
        var route = stackalloc byte[120];
        new Span<byte>(route, 120).Clear();
        SocketAddress(route + 8, 0);
        SocketAddress(route + 24, gateway);
        SocketAddress(route + 40, 0);
        *(ushort*)(route + 56) = RtfUp | RtfGateway;
        LinuxException.ThrowIfFailed(Interop.Ioctl(socket, SiocAddRt, (nint)route), "SIOCADDRT default");
    });

    private static void Name(byte* request, string name)
    {
        new Span<byte>(request, 40).Clear();
        System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(request, 15));
    }

    /// <summary>struct sockaddr_in: family, port, then the address in network byte order.</summary>
    private static void SocketAddress(byte* target, uint address)
    {
        new Span<byte>(target, 16).Clear();
        *(ushort*)target = AfInet;
        BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(target + 4, 4), address);
    }

    private delegate void SocketAction(SafeFileHandle socket);

    private static void WithSocket(SocketAction action)
    {
        var fd = LinuxException.ThrowIfFailed(Interop.Socket(AfInet, SockDgram | SockCloexec, 0), "socket");
        using var socket = new SafeFileHandle(fd, ownsHandle: true);
        action(socket);
    }
}
