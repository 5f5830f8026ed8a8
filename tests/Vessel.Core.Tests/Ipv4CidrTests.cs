using Vessel.Core.Model;

namespace Vessel.Core.Tests;

public sealed class Ipv4CidrTests
{
    private static Ipv4Cidr Parse(string text) => Ipv4Cidr.TryParse(text, out var cidr) ? cidr : throw new FormatException(text);

    private static uint Address(string text) => Ipv4Cidr.TryParseAddress(text, out var address) ? address : throw new FormatException(text);

    [Theory]
    [InlineData("10.42.7.1/24", 0x0A2A0701u, 24)]
    [InlineData("0.0.0.0/0", 0u, 0)]
    [InlineData("255.255.255.255/32", 0xFFFFFFFFu, 32)]
    [InlineData("192.168.0.10/16", 0xC0A8000Au, 16)]
    [InlineData("10.0.0.1/8", 0x0A000001u, 8)]
    public void TryParse_GoodText_GivesAddressAndPrefix(string text, uint address, int prefix)
    {
        Assert.True(Ipv4Cidr.TryParse(text, out var cidr));

        Assert.Equal(new Ipv4Cidr(address, prefix), cidr);
        Assert.Equal(text, cidr.ToString());
    }

    [Theory]
    [InlineData("10.42.7.1")]
    [InlineData("10.42.7.1/")]
    [InlineData("10.42.7.1/33")]
    [InlineData("10.42.7.1/100")]
    [InlineData("10.42.7.1/-1")]
    [InlineData("10.42.7.1/2a")]
    [InlineData("10.42.7.1/24/24")]
    [InlineData("10.42.7.256/24")]
    [InlineData("256.0.0.1/24")]
    [InlineData("1000.0.0.1/8")]
    [InlineData("010.0.0.1/24")]
    [InlineData("10.00.0.1/24")]
    [InlineData("10.0.0.01/24")]
    [InlineData("10.0.0/24")]
    [InlineData("10.0.0.0.1/24")]
    [InlineData("10..0.1/24")]
    [InlineData("a.b.c.d/24")]
    [InlineData("+10.0.0.1/24")]
    [InlineData(" 10.0.0.1/24")]
    [InlineData("10.0.0.1/24 ")]
    [InlineData("/24")]
    [InlineData("")]
    public void TryParse_BadText_Fails(string text) => Assert.False(Ipv4Cidr.TryParse(text, out _));

    [Theory]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("10.0.0.0", 0x0A000000u)]
    [InlineData("172.16.254.3", 0xAC10FE03u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    public void TryParseAddress_GoodText_GivesTheAddress(string text, uint address)
    {
        Assert.True(Ipv4Cidr.TryParseAddress(text, out var parsed));
        Assert.Equal(address, parsed);
    }

    [Theory]
    [InlineData("1.2.3.04")]
    [InlineData("1.2.3.00")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.")]
    [InlineData("1.2.3.4/32")]
    [InlineData("１.2.3.4")]
    public void TryParseAddress_BadText_Fails(string text) => Assert.False(Ipv4Cidr.TryParseAddress(text, out _));

    [Fact]
    public void Properties_OfA24_DescribeItsSubnet()
    {
        var cidr = Parse("10.42.7.9/24");

        Assert.Equal(Address("255.255.255.0"), cidr.Mask);
        Assert.Equal(Address("10.42.7.0"), cidr.Network);
        Assert.Equal(Address("10.42.7.255"), cidr.Broadcast);
        Assert.Equal(Parse("10.42.7.0/24"), cidr.Subnet);
        Assert.Equal(254, cidr.HostCount);
        Assert.Equal("10.42.7.9", cidr.AddressText);
        Assert.Equal("255.255.255.0", cidr.MaskText);
    }

    [Theory]
    [InlineData("10.1.2.3/16", "255.255.0.0", "10.1.0.0", "10.1.255.255", 65534L)]
    [InlineData("10.0.0.17/28", "255.255.255.240", "10.0.0.16", "10.0.0.31", 14L)]
    [InlineData("10.0.0.1/8", "255.0.0.0", "10.0.0.0", "10.255.255.255", 16777214L)]
    [InlineData("10.9.9.9/0", "0.0.0.0", "0.0.0.0", "255.255.255.255", 4294967294L)]
    public void Properties_OfOtherPrefixes(string text, string mask, string network, string broadcast, long hosts)
    {
        var cidr = Parse(text);

        Assert.Equal(mask, cidr.MaskText);
        Assert.Equal(network, Ipv4Cidr.FormatAddress(cidr.Network));
        Assert.Equal(broadcast, Ipv4Cidr.FormatAddress(cidr.Broadcast));
        Assert.Equal(hosts, cidr.HostCount);
    }

    [Theory]
    [InlineData("10.0.0.1/8", "10.1.2.1/24")]
    [InlineData("10.1.2.1/24", "10.1.2.200/24")]
    [InlineData("10.1.2.1/24", "10.1.2.129/25")]
    [InlineData("10.1.0.1/16", "10.1.255.1/24")]
    [InlineData("0.0.0.0/0", "192.168.1.1/24")]
    [InlineData("192.168.1.1/24", "192.168.1.77/32")]
    public void Overlaps_NestedOrEqualSubnets_IsTrueBothWays(string a, string b)
    {
        Assert.True(Parse(a).Overlaps(Parse(b)));
        Assert.True(Parse(b).Overlaps(Parse(a)));
    }

    [Theory]
    [InlineData("10.1.2.1/24", "10.1.3.1/24")]
    [InlineData("10.1.2.1/25", "10.1.2.129/25")]
    [InlineData("192.168.0.1/16", "192.169.0.1/16")]
    [InlineData("10.0.0.1/8", "11.0.0.1/8")]
    [InlineData("10.255.255.1/24", "11.0.0.1/24")]
    public void Overlaps_DisjointSubnets_IsFalseBothWays(string a, string b)
    {
        Assert.False(Parse(a).Overlaps(Parse(b)));
        Assert.False(Parse(b).Overlaps(Parse(a)));
    }

    [Theory]
    [InlineData("10.42.7.0", true)]
    [InlineData("10.42.7.1", true)]
    [InlineData("10.42.7.128", true)]
    [InlineData("10.42.7.255", true)]
    [InlineData("10.42.6.255", false)]
    [InlineData("10.42.8.0", false)]
    [InlineData("11.42.7.1", false)]
    public void Contains_IsMembershipOfTheSubnet(string address, bool expected) =>
        Assert.Equal(expected, Parse("10.42.7.1/24").Contains(Address(address)));

    [Theory]
    [InlineData("10.42.7.1/24", 1L, "10.42.7.1")]
    [InlineData("10.42.7.99/24", 1L, "10.42.7.1")]
    [InlineData("10.42.7.1/24", 254L, "10.42.7.254")]
    [InlineData("10.42.7.1/24", 0L, "10.42.7.0")]
    [InlineData("10.1.0.1/16", 256L, "10.1.1.0")]
    [InlineData("10.1.0.1/16", 65534L, "10.1.255.254")]
    [InlineData("10.0.0.17/28", 2L, "10.0.0.18")]
    public void Host_CountsFromTheNetworkAddress(string cidr, long n, string expected) =>
        Assert.Equal(expected, Ipv4Cidr.FormatAddress(Parse(cidr).Host(n)));

    [Theory]
    [InlineData(0u, "0.0.0.0")]
    [InlineData(0x0A2A0701u, "10.42.7.1")]
    [InlineData(0xC0A80100u, "192.168.1.0")]
    [InlineData(0xFFFFFFFFu, "255.255.255.255")]
    [InlineData(0x01020304u, "1.2.3.4")]
    public void FormatAddress_WritesDottedQuads(uint address, string text)
    {
        Assert.Equal(text, Ipv4Cidr.FormatAddress(address));
        Assert.Equal(address, Address(text));
    }

    [Theory]
    [InlineData("10.42.7.1/24")]
    [InlineData("10.42.7.254/24")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.14/28")]
    public void ParseHost_AHostAddress_IsAccepted(string text) => Assert.Equal(text, Ipv4Cidr.ParseHost("ipv4.address", text).ToString());

    [Theory]
    [InlineData("10.42.7.0/24", "ipv4.address: 10.42.7.0 is the subnet's network address, not a host address")]
    [InlineData("10.42.7.255/24", "ipv4.address: 10.42.7.255 is the subnet's broadcast address, not a host address")]
    [InlineData("10.1.0.0/16", "ipv4.address: 10.1.0.0 is the subnet's network address, not a host address")]
    [InlineData("10.0.0.15/28", "ipv4.address: 10.0.0.15 is the subnet's broadcast address, not a host address")]
    [InlineData("10.0.0.1/29", "ipv4.address: a /29 subnet is out of range; allowed is /8 to /28")]
    [InlineData("10.0.0.1/7", "ipv4.address: a /7 subnet is out of range; allowed is /8 to /28")]
    [InlineData("10.0.0.1/32", "ipv4.address: a /32 subnet is out of range; allowed is /8 to /28")]
    [InlineData("10.0.0.1/33", "ipv4.address: \"10.0.0.1/33\" is not an IPv4 address with a prefix length, such as 10.42.7.1/24")]
    [InlineData("10.0.0.300/24", "ipv4.address: \"10.0.0.300/24\" is not an IPv4 address with a prefix length, such as 10.42.7.1/24")]
    [InlineData("10.0.0.1", "ipv4.address: \"10.0.0.1\" is not an IPv4 address with a prefix length, such as 10.42.7.1/24")]
    public void ParseHost_Refused_SaysWhy(string text, string message) =>
        Assert.Equal(message, Assert.Throws<BadRequestException>(() => Ipv4Cidr.ParseHost("ipv4.address", text)).Message);

    [Fact]
    public void ParseHost_TakesOtherPrefixBounds() =>
        Assert.Equal("10.0.0.5/30", Ipv4Cidr.ParseHost("f", "10.0.0.5/30", minPrefix: 8, maxPrefix: 30).ToString());

    [Fact]
    public void ParseAddress_Bad_NamesTheFieldAndTheText()
    {
        Assert.Equal(0x0A2A0714u, Ipv4Cidr.ParseAddress("listen_address", "10.42.7.20"));

        var e = Assert.Throws<BadRequestException>(() => Ipv4Cidr.ParseAddress("listen_address", "10.42.7.020"));
        Assert.Equal("listen_address: \"10.42.7.020\" is not an IPv4 address such as 10.42.7.20", e.Message);
    }
}
