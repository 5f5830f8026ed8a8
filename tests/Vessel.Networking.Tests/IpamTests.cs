using System.Text.RegularExpressions;
using Vessel.Core;
using Vessel.Core.Model;

namespace Vessel.Networking.Tests;

public sealed partial class IpamTests
{
    private static HashSet<uint> Used(params string[] addresses) => [.. addresses.Select(Ip.Address)];

    private static string Text((uint First, uint Last) range) => $"{Ipv4Cidr.FormatAddress(range.First)}-{Ipv4Cidr.FormatAddress(range.Last)}";

    [Theory]
    [InlineData("10.42.7.1/24", "10.42.7.2-10.42.7.127", "10.42.7.128-10.42.7.254")]
    [InlineData("10.42.7.99/24", "10.42.7.2-10.42.7.127", "10.42.7.128-10.42.7.254")]
    [InlineData("10.1.0.1/16", "10.1.0.2-10.1.127.255", "10.1.128.0-10.1.255.254")]
    [InlineData("10.0.0.17/28", "10.0.0.18-10.0.0.23", "10.0.0.24-10.0.0.30")]
    [InlineData("10.0.0.1/8", "10.0.0.2-10.127.255.255", "10.128.0.0-10.255.255.254")]
    public void Ranges_SplitTheHostsBetweenVesselAndDhcp(string subnet, string staticRange, string dynamicRange)
    {
        var cidr = Ip.Cidr(subnet);

        Assert.Equal(staticRange, Text(Ipam.StaticRange(cidr)));
        Assert.Equal(dynamicRange, Text(Ipam.DynamicRange(cidr)));
        Assert.Equal(Ipam.StaticRange(cidr).Last + 1, Ipam.DynamicRange(cidr).First);
    }

    [Fact]
    public void Allocate_OnAnEmptyNetwork_GivesTheFirstAddressAfterTheBridge() =>
        Assert.Equal("10.42.7.2", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.42.7.1/24"), Used())));

    [Fact]
    public void Allocate_SkipsUsedAddresses_AndTakesTheLowestFree() =>
        Assert.Equal("10.42.7.4", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.42.7.1/24"), Used("10.42.7.2", "10.42.7.3", "10.42.7.5"))));

    [Fact]
    public void Allocate_FillsAGapFirst() =>
        Assert.Equal("10.42.7.3", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.42.7.1/24"), Used("10.42.7.2", "10.42.7.4"))));

    [Fact]
    public void Allocate_SkipsTheBridgeAddress_WhereverItIs()
    {
        Assert.Equal("10.42.7.3", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.42.7.2/24"), Used())));
        Assert.Equal("10.42.7.6", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.42.7.5/24"), Used("10.42.7.2", "10.42.7.3", "10.42.7.4"))));
    }

    [Fact]
    public void Allocate_IgnoresUsedAddressesOutsideTheStaticRange() =>
        Assert.Equal("10.42.7.2", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.42.7.1/24"), Used("10.42.7.200", "10.9.9.2"))));

    [Fact]
    public void Allocate_OnA28_GivesSixAddressesThenConflicts()
    {
        var subnet = Ip.Cidr("10.0.0.1/28");
        var used = new HashSet<uint>();
        for (var i = 0; i < 6; i++)
            used.Add(Ipam.Allocate("small", subnet, used));

        Assert.Equal(["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"], used.Order().Select(Ipv4Cidr.FormatAddress));
        var e = Assert.Throws<ConflictException>(() => Ipam.Allocate("small", subnet, used));
        Assert.Equal("network \"small\" has no free address left in 10.0.0.2-10.0.0.7", e.Message);
        Assert.Equal(409, e.StatusCode);
    }

    [Fact]
    public void Allocate_OnAFull24_Conflicts()
    {
        var used = Enumerable.Range(2, 126).Select(i => Ip.Address($"10.42.7.{i}")).ToHashSet();

        var e = Assert.Throws<ConflictException>(() => Ipam.Allocate("n1", Ip.Cidr("10.42.7.1/24"), used));

        Assert.Equal("network \"n1\" has no free address left in 10.42.7.2-10.42.7.127", e.Message);
    }

    [Fact]
    public void Allocate_OnA16_GoesPastTheThirdOctet()
    {
        var used = Enumerable.Range(2, 254).Select(i => Ip.Address($"10.1.0.{i}")).ToHashSet();

        Assert.Equal("10.1.1.0", Ipv4Cidr.FormatAddress(Ipam.Allocate("n1", Ip.Cidr("10.1.0.1/16"), used)));
    }

    [Theory]
    [InlineData("10.42.7.2")]
    [InlineData("10.42.7.127")]
    [InlineData("10.42.7.200")]
    [InlineData("10.42.7.254")]
    public void CheckStatic_AFreeHostAddress_IsAccepted(string address) =>
        Ipam.CheckStatic("devices.eth0.ipv4.address", "n1", Ip.Cidr("10.42.7.1/24"), Ip.Address(address), Used("10.42.7.3"));

    [Theory]
    [InlineData("10.42.8.5")]
    [InlineData("192.168.0.5")]
    [InlineData("10.42.7.0")]
    [InlineData("10.42.7.255")]
    public void CheckStatic_NotAHostOfTheSubnet_Is400(string address)
    {
        var e = Assert.Throws<BadRequestException>(() =>
            Ipam.CheckStatic("devices.eth0.ipv4.address", "n1", Ip.Cidr("10.42.7.1/24"), Ip.Address(address), Used()));

        Assert.Equal($"devices.eth0.ipv4.address: {address} is not a host address of network \"n1\" (10.42.7.0/24)", e.Message);
    }

    [Fact]
    public void CheckStatic_TheBridgeAddress_Is400()
    {
        var e = Assert.Throws<BadRequestException>(() =>
            Ipam.CheckStatic("devices.eth0.ipv4.address", "n1", Ip.Cidr("10.42.7.1/24"), Ip.Address("10.42.7.1"), Used()));

        Assert.Equal("devices.eth0.ipv4.address: 10.42.7.1 is the address of network \"n1\"'s bridge", e.Message);
    }

    [Fact]
    public void CheckStatic_AUsedAddress_Is409()
    {
        var e = Assert.Throws<ConflictException>(() =>
            Ipam.CheckStatic("devices.eth0.ipv4.address", "n1", Ip.Cidr("10.42.7.1/24"), Ip.Address("10.42.7.3"), Used("10.42.7.3")));

        Assert.Equal("devices.eth0.ipv4.address: 10.42.7.3 is already used on network \"n1\"", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(1234)]
    public void ChooseSubnet_GivesA24InTenWithTheBridgeFirst(int seed)
    {
        var subnet = Ipam.ChooseSubnet([], new Random(seed));

        Assert.Equal(24, subnet.PrefixLength);
        Assert.Equal(subnet.Host(1), subnet.Address);
        Assert.True(Ip.Cidr("10.0.0.0/8").Contains(subnet.Address), subnet.ToString());
    }

    [Fact]
    public void ChooseSubnet_UsesTheRandomItIsGiven()
    {
        Assert.Equal(Ipam.ChooseSubnet([], new Random(7)), Ipam.ChooseSubnet([], new Random(7)));
        Assert.True(Enumerable.Range(0, 20).Select(seed => Ipam.ChooseSubnet([], new Random(seed))).Distinct().Count() > 10);
    }

    [Fact]
    public void ChooseSubnet_PassesOverACandidateThatIsTaken()
    {
        var first = Ipam.ChooseSubnet([], new Random(7));

        var second = Ipam.ChooseSubnet([first], new Random(7));

        Assert.False(second.Overlaps(first), $"{second} overlaps {first}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(99)]
    public void ChooseSubnet_NeverOverlapsTheTakenList(int seed)
    {
        // Fifteen sixteenths of 10.0.0.0/8 are taken, in blocks of every size; 10.240.0.0/12 is free but for two /24s in it.
        Ipv4Cidr[] taken =
        [
            Ip.Cidr("10.0.0.0/9"), Ip.Cidr("10.128.0.0/10"), Ip.Cidr("10.192.0.0/11"), Ip.Cidr("10.224.0.0/12"),
            Ip.Cidr("10.240.0.1/24"), Ip.Cidr("10.250.3.77/24"), Ip.Cidr("192.168.0.0/16"),
        ];
        var random = new Random(seed);

        for (var i = 0; i < 50; i++)
        {
            var subnet = Ipam.ChooseSubnet(taken, random);
            Assert.True(Ip.Cidr("10.240.0.0/12").Contains(subnet.Address), subnet.ToString());
            Assert.DoesNotContain(taken, t => t.Overlaps(subnet));
        }
    }

    [Fact]
    public void ChooseSubnet_WhenAllOfTenIsTaken_Conflicts()
    {
        var e = Assert.Throws<ConflictException>(() => Ipam.ChooseSubnet([Ip.Cidr("10.0.0.0/8")], new Random(1)));

        Assert.Equal("ipv4.address: no free /24 in 10.0.0.0/8 was found; give the network a subnet yourself", e.Message);
    }

    [Fact]
    public void RandomMac_IsAUnicastLocallyAdministeredAddressWithVesselsPrefix()
    {
        var random = new Random(5);
        var macs = Enumerable.Range(0, 200).Select(_ => Ipam.RandomMac(random)).ToList();

        foreach (var mac in macs)
        {
            Assert.Matches(Mac(), mac);
            var first = Convert.ToByte(mac[..2], 16);
            Assert.Equal(0x02, first & 0x02); // locally administered
            Assert.Equal(0x00, first & 0x01); // unicast
        }
        Assert.True(macs.Distinct().Count() > 190, "random MACs repeat");
    }

    [GeneratedRegex("^02:76:73(:[0-9a-f]{2}){3}$")]
    private static partial Regex Mac();
}
