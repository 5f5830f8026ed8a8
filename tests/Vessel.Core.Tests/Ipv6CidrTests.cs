using Vessel.Core.Model;

namespace Vessel.Core.Tests;

public sealed class Ipv6CidrTests
{
    [Fact]
    public void Eui64_OfAMac_IsTheSlaacAddressInTheSubnet()
    {
        var prefix = Ipv6Cidr.ParseHost("f", "fd00:1:2:3::1/64");

        Assert.Equal("fd00:1:2:3:76:73ff:fe12:3456", Ipv6Cidr.FormatAddress(prefix.Eui64("02:76:73:12:34:56")));
        Assert.Equal("fd00:1:2:3:216:3eff:fe00:1", Ipv6Cidr.FormatAddress(prefix.Eui64("00:16:3e:00:00:01")));
    }

    [Fact]
    public void RandomUniqueLocal_IsAnFd64WithTheBridgeAtOne()
    {
        var cidr = Ipv6Cidr.RandomUniqueLocal(new Random(7));

        Assert.Equal(64, cidr.PrefixLength);
        Assert.StartsWith("fd", cidr.AddressText, StringComparison.Ordinal);
        Assert.Equal(cidr.Network + 1, cidr.Address);
    }

    [Fact]
    public void Overlaps_ComparesTheShorterPrefix()
    {
        Assert.True(Ipv6Cidr.TryParse("fd42:1::1/64", out var a));
        Assert.True(Ipv6Cidr.TryParse("fd42:1::/32", out var b));
        Assert.True(Ipv6Cidr.TryParse("fd42:2::1/64", out var c));

        Assert.True(a.Overlaps(b));
        Assert.False(a.Overlaps(c));
    }
}
