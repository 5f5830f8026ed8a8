using System.Globalization;

namespace Vessel.Core.Model;

/// <summary>An IPv4 address with a prefix length, as in 10.42.7.1/24: the address of a host and the subnet it sits in.</summary>
public readonly record struct Ipv4Cidr(uint Address, int PrefixLength)
{
    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);
    public uint Network => Address & Mask;
    public uint Broadcast => Network | ~Mask;
    public Ipv4Cidr Subnet => new(Network, PrefixLength);
    public long HostCount => (1L << (32 - PrefixLength)) - 2;

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Overlaps(Ipv4Cidr other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        var mask = shorter == 0 ? 0 : uint.MaxValue << (32 - shorter);
        return (Address & mask) == (other.Address & mask);
    }

    /// <summary>The n-th address of the subnet (1 is the first host).</summary>
    public uint Host(long n) => (uint)(Network + n);

    public string AddressText => FormatAddress(Address);
    public string MaskText => FormatAddress(Mask);

    public override string ToString() => $"{FormatAddress(Address)}/{PrefixLength}";

    public static string FormatAddress(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}");

    public static bool TryParseAddress(string text, out uint address)
    {
        address = 0;
        var parts = text.Split('.');
        if (parts.Length != 4)
            return false;
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0'))
                return false;
            var octet = int.Parse(part, CultureInfo.InvariantCulture);
            if (octet > 255)
                return false;
            address = (address << 8) | (uint)octet;
        }
        return true;
    }

    public static bool TryParse(string text, out Ipv4Cidr cidr)
    {
        cidr = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !TryParseAddress(text[..slash], out var address))
            return false;
        var prefix = text[(slash + 1)..];
        if (prefix.Length is 0 or > 2 || !prefix.All(char.IsAsciiDigit))
            return false;
        var length = int.Parse(prefix, CultureInfo.InvariantCulture);
        if (length > 32)
            return false;
        cidr = new Ipv4Cidr(address, length);
        return true;
    }

    /// <summary>Parses the address of a host with its subnet; the error names the field and what is wrong.</summary>
    public static Ipv4Cidr ParseHost(string field, string text, int minPrefix = 8, int maxPrefix = 28)
    {
        if (!TryParse(text, out var cidr))
            throw new BadRequestException($"{field}: \"{text}\" is not an IPv4 address with a prefix length, such as 10.42.7.1/24");
        if (cidr.PrefixLength < minPrefix || cidr.PrefixLength > maxPrefix)
            throw new BadRequestException($"{field}: a /{cidr.PrefixLength} subnet is out of range; allowed is /{minPrefix} to /{maxPrefix}");
        if (cidr.Address == cidr.Network || cidr.Address == cidr.Broadcast)
            throw new BadRequestException($"{field}: {cidr.AddressText} is the subnet's {(cidr.Address == cidr.Network ? "network" : "broadcast")} address, not a host address");
        return cidr;
    }

    public static uint ParseAddress(string field, string text) =>
        TryParseAddress(text, out var address)
            ? address
            : throw new BadRequestException($"{field}: \"{text}\" is not an IPv4 address such as 10.42.7.20");
}
