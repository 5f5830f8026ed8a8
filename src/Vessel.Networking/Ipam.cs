using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.Networking;

/// <summary>
/// How a network's subnet is shared: Vessel gives every nic a fixed address from the lower half (so names and
/// port forwards stay valid across restarts), and DHCP hands the upper half to clients Vessel does not know.
/// </summary>
public static class Ipam
{
    public static (uint First, uint Last) StaticRange(Ipv4Cidr subnet) => (subnet.Host(2), subnet.Host(subnet.HostCount / 2));

    public static (uint First, uint Last) DynamicRange(Ipv4Cidr subnet) => (subnet.Host(subnet.HostCount / 2 + 1), subnet.Host(subnet.HostCount));

    /// <summary>The lowest free address of the static range.</summary>
    public static uint Allocate(string network, Ipv4Cidr subnet, IReadOnlySet<uint> used)
    {
        var (first, last) = StaticRange(subnet);
        for (var address = first; address <= last; address++)
        {
            if (address != subnet.Address && !used.Contains(address))
                return address;
        }
        throw new ConflictException($"network \"{network}\" has no free address left in {Ipv4Cidr.FormatAddress(first)}-{Ipv4Cidr.FormatAddress(last)}");
    }

    /// <summary>Checks an address a user chose for a nic.</summary>
    public static void CheckStatic(string field, string network, Ipv4Cidr subnet, uint address, IReadOnlySet<uint> used)
    {
        var text = Ipv4Cidr.FormatAddress(address);
        if (!subnet.Contains(address) || address == subnet.Network || address == subnet.Broadcast)
            throw new BadRequestException($"{field}: {text} is not a host address of network \"{network}\" ({subnet.Subnet})");
        if (address == subnet.Address)
            throw new BadRequestException($"{field}: {text} is the address of network \"{network}\"'s bridge");
        if (used.Contains(address))
            throw new ConflictException($"{field}: {text} is already used on network \"{network}\"");
    }

    /// <summary>
    /// A /24 in 10.0.0.0/8 that overlaps nothing taken, picked at random as Incus does, so that two hosts on one
    /// LAN are unlikely to pick the same. The bridge gets the first address.
    /// </summary>
    public static Ipv4Cidr ChooseSubnet(IReadOnlyCollection<Ipv4Cidr> taken, Random random)
    {
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var candidate = new Ipv4Cidr((10u << 24) | ((uint)random.Next(0, 1 << 16) << 8) | 1, 24);
            if (!taken.Any(t => t.Overlaps(candidate)))
                return candidate;
        }
        throw new ConflictException("ipv4.address: no free /24 in 10.0.0.0/8 was found; give the network a subnet yourself");
    }

    /// <summary>A random unicast, locally administered MAC address with Vessel's prefix 02:76:73 ("vs").</summary>
    public static string RandomMac(Random random) =>
        $"02:76:73:{random.Next(256):x2}:{random.Next(256):x2}:{random.Next(256):x2}";
}
