using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Vessel.Core.Model;

/// <summary>An IPv6 address with its /64 prefix, as in fd42:7:7:7::1/64: a bridge's address and the subnet it serves.</summary>
public readonly record struct Ipv6Cidr(UInt128 Address, int PrefixLength)
{
    public const int SubnetLength = 64;

    public UInt128 Network => Address & (UInt128.MaxValue << (128 - PrefixLength));
    public Ipv6Cidr Subnet => new(Network, PrefixLength);
    public string AddressText => FormatAddress(Address);

    public override string ToString() => $"{FormatAddress(Address)}/{PrefixLength}";

    public bool Overlaps(Ipv6Cidr other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        var mask = shorter == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - shorter);
        return (Address & mask) == (other.Address & mask);
    }

    /// <summary>The address SLAAC gives the MAC in this subnet (modified EUI-64), so a VM's own choice and Vessel's agree.</summary>
    public UInt128 Eui64(string mac)
    {
        var bytes = mac.Split(':').Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        Span<byte> id = [(byte)(bytes[0] ^ 0x02), bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]];
        return Network | BinaryPrimitives.ReadUInt64BigEndian(id);
    }

    public static string FormatAddress(UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new IPAddress(bytes).ToString();
    }

    public static bool TryParse(string text, out Ipv6Cidr cidr)
    {
        cidr = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6 ||
            !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > 128)
            return false;
        cidr = new Ipv6Cidr(BinaryPrimitives.ReadUInt128BigEndian(ip.GetAddressBytes()), length);
        return true;
    }

    /// <summary>Parses a bridge's address: a /64 (what SLAAC needs) whose host part is not zero.</summary>
    public static Ipv6Cidr ParseHost(string field, string text)
    {
        if (!TryParse(text, out var cidr))
            throw new BadRequestException($"{field}: \"{text}\" is not an IPv6 address with a prefix length, such as fd42:7:7:7::1/64");
        if (cidr.PrefixLength != SubnetLength)
            throw new BadRequestException($"{field}: a /{cidr.PrefixLength} subnet is not supported; IPv6 networks are /64 (SLAAC needs it)");
        if (cidr.Address == cidr.Network)
            throw new BadRequestException($"{field}: {cidr.AddressText} is the subnet's own address, not a host address");
        return cidr;
    }

    /// <summary>A random unique local /64 (fd00::/8 with a random 40-bit global id, RFC 4193); the bridge gets ::1.</summary>
    public static Ipv6Cidr RandomUniqueLocal(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bytes[0] = 0xfd;
        random.NextBytes(bytes[1..6]);
        bytes[15] = 1;
        return new Ipv6Cidr(BinaryPrimitives.ReadUInt128BigEndian(bytes), SubnetLength);
    }
}
