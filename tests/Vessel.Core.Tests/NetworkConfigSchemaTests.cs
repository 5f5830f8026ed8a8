using Vessel.Core.Validation;

namespace Vessel.Core.Tests;

public sealed class NetworkConfigSchemaTests
{
    private static Dictionary<string, string> Config(params (string Key, string Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private static string Refused(params (string, string)[] entries) =>
        Assert.Throws<BadRequestException>(() => NetworkConfigSchema.Validate(Config(entries))).Message;

    [Theory]
    [InlineData("ipv4.address", "auto")]
    [InlineData("ipv4.address", "none")]
    [InlineData("ipv4.address", "10.42.7.1/24")]
    [InlineData("ipv4.address", "192.168.100.1/16")]
    [InlineData("ipv4.address", "10.0.0.1/28")]
    [InlineData("ipv4.nat", "true")]
    [InlineData("ipv4.nat", "false")]
    [InlineData("ipv4.routing", "false")]
    [InlineData("ipv4.dhcp", "false")]
    [InlineData("ipv6.address", "none")]
    [InlineData("ipv6.address", "auto")]
    [InlineData("ipv6.address", "fd42:7:7:7::1/64")]
    [InlineData("ipv6.nat", "false")]
    [InlineData("security.isolated", "true")]
    [InlineData("dns.domain", "lab")]
    [InlineData("bridge.mtu", "576")]
    [InlineData("bridge.mtu", "9000")]
    [InlineData("user.comment", "any text at all")]
    public void ValidateKey_GoodValue_IsAccepted(string key, string value) => NetworkConfigSchema.ValidateKey(key, value);

    [Fact]
    public void ValidateKey_UnknownKey_ListsTheKnownOnes()
    {
        var e = Assert.Throws<BadRequestException>(() => NetworkConfigSchema.ValidateKey("bridge.stp", "true"));

        Assert.Equal("bridge.stp: unknown network config key (known: bridge.mtu, dns.domain, ipv4.address, ipv4.dhcp, ipv4.nat, " +
            "ipv4.routing, ipv6.address, ipv6.nat, security.isolated, and user.*)", e.Message);
    }

    [Theory]
    [InlineData("user.")]
    [InlineData("user")]
    [InlineData("IPV4.NAT")]
    [InlineData("limits.memory")]
    public void ValidateKey_NearMisses_AreUnknown(string key) =>
        Assert.StartsWith($"{key}: unknown network config key", Assert.Throws<BadRequestException>(() => NetworkConfigSchema.ValidateKey(key, "x")).Message,
            StringComparison.Ordinal);

    [Theory]
    [InlineData("ipv4.nat", "yes", "ipv4.nat: \"yes\" is not true or false")]
    [InlineData("ipv4.routing", "1", "ipv4.routing: \"1\" is not true or false")]
    [InlineData("security.isolated", "True", "security.isolated: \"True\" is not true or false")]
    [InlineData("ipv4.address", "10.42.7.0/24", "ipv4.address: 10.42.7.0 is the subnet's network address, not a host address")]
    [InlineData("ipv4.address", "10.42.7.1", "ipv4.address: \"10.42.7.1\" is not an IPv4 address with a prefix length")]
    [InlineData("ipv4.address", "10.42.7.1/30", "ipv4.address: a /30 subnet is out of range; allowed is /8 to /28")]
    [InlineData("ipv4.address", "Auto", "ipv4.address: \"Auto\" is not an IPv4 address with a prefix length")]
    [InlineData("dns.domain", "my_lab", "dns.domain: \"my_lab\" may hold only letters, digits and dashes")]
    [InlineData("bridge.mtu", "575", "bridge.mtu: 575 is out of range; allowed is 576 to 9000")]
    [InlineData("bridge.mtu", "9001", "bridge.mtu: 9001 is out of range; allowed is 576 to 9000")]
    public void ValidateKey_BadValue_IsRefusedNamingTheKey(string key, string value, string message) =>
        Assert.StartsWith(message, Assert.Throws<BadRequestException>(() => NetworkConfigSchema.ValidateKey(key, value)).Message, StringComparison.Ordinal);

    [Fact]
    public void ValidateKey_LongUserValue_IsRefused()
    {
        NetworkConfigSchema.ValidateKey("user.note", new string('x', 4096));

        Assert.Equal("user.note: the value is 4097 characters long; at most 4096 are allowed",
            Assert.Throws<BadRequestException>(() => NetworkConfigSchema.ValidateKey("user.note", new string('x', 4097))).Message);
    }

    [Theory]
    [InlineData("fd42:7:7:7::1/48", "a /48 subnet is not supported; IPv6 networks are /64 (SLAAC needs it)")]
    [InlineData("fd42:7:7:7::/64", "fd42:7:7:7:: is the subnet's own address, not a host address")]
    [InlineData("fd42::zz/64", "\"fd42::zz/64\" is not an IPv6 address with a prefix length, such as fd42:7:7:7::1/64")]
    [InlineData("10.0.0.1/24", "\"10.0.0.1/24\" is not an IPv6 address with a prefix length, such as fd42:7:7:7::1/64")]
    public void ValidateKey_BadIpv6Address_IsRefusedWithTheReason(string value, string reason)
    {
        var e = Assert.Throws<BadRequestException>(() => NetworkConfigSchema.ValidateKey("ipv6.address", value));

        Assert.Equal($"ipv6.address: {reason}", e.Message);
    }

    [Fact]
    public void Validate_IsolatedWithNat_IsRefused() =>
        Assert.Equal("ipv4.nat: an isolated network (security.isolated=true) has no way out, so no NAT",
            Refused(("security.isolated", "true"), ("ipv4.nat", "true")));

    [Fact]
    public void Validate_IsolatedWithRouting_IsRefused() =>
        Assert.Equal("ipv4.routing: an isolated network (security.isolated=true) is not routed",
            Refused(("security.isolated", "true"), ("ipv4.routing", "true")));

    [Fact]
    public void Validate_NatWithoutRouting_IsRefused() =>
        Assert.Equal("ipv4.nat: NAT needs routing; with ipv4.routing=false set ipv4.nat=false too",
            Refused(("ipv4.routing", "false"), ("ipv4.nat", "true")));

    [Fact]
    public void Validate_ChecksEveryKey() =>
        Assert.StartsWith("ipv4.dhcp: \"no\" is not true or false", Refused(("ipv4.nat", "false"), ("ipv4.dhcp", "no")), StringComparison.Ordinal);

    [Theory]
    [InlineData("security.isolated", "true", "ipv4.nat", "false")]
    [InlineData("security.isolated", "true", "ipv4.routing", "false")]
    [InlineData("security.isolated", "false", "ipv4.nat", "true")]
    [InlineData("ipv4.routing", "false", "ipv4.nat", "false")]
    [InlineData("ipv4.routing", "true", "ipv4.nat", "false")]
    public void Validate_KeysThatAgree_AreAccepted(string key1, string value1, string key2, string value2) =>
        NetworkConfigSchema.Validate(Config((key1, value1), (key2, value2), ("ipv4.address", "10.1.2.1/24")));

    [Fact]
    public void Defaults_RouteMasqueradeAndServeDhcp()
    {
        var config = Config();

        Assert.True(NetworkConfigSchema.Routes(config));
        Assert.True(NetworkConfigSchema.Masquerades(config));
        Assert.True(NetworkConfigSchema.ServesDhcp(config));
        Assert.False(NetworkConfigSchema.IsIsolated(config));
        Assert.Equal("vessel", NetworkConfigSchema.Domain(config));
        Assert.Equal(1500, NetworkConfigSchema.BridgeMtu(config));
        Assert.Null(NetworkConfigSchema.Address(config));
    }

    [Theory]
    [InlineData("ipv4.nat", "false", true, false)]
    [InlineData("ipv4.routing", "false", false, false)]
    [InlineData("ipv4.routing", "true", true, true)]
    [InlineData("security.isolated", "true", false, false)]
    [InlineData("security.isolated", "false", true, true)]
    public void RoutesAndMasquerades_FollowTheKeys(string key, string value, bool routes, bool masquerades)
    {
        var config = Config((key, value));

        Assert.Equal(routes, NetworkConfigSchema.Routes(config));
        Assert.Equal(masquerades, NetworkConfigSchema.Masquerades(config));
    }

    [Fact]
    public void OtherKeys_AreRead()
    {
        var config = Config(("ipv4.dhcp", "false"), ("dns.domain", "lab"), ("bridge.mtu", "9000"), ("security.isolated", "true"));

        Assert.False(NetworkConfigSchema.ServesDhcp(config));
        Assert.Equal("lab", NetworkConfigSchema.Domain(config));
        Assert.Equal(9000, NetworkConfigSchema.BridgeMtu(config));
        Assert.True(NetworkConfigSchema.IsIsolated(config));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("auto")]
    public void Address_OfNoneOrAuto_IsNull(string value) => Assert.Null(NetworkConfigSchema.Address(Config(("ipv4.address", value))));

    [Fact]
    public void Address_OfACidr_IsTheBridgeAddressWithItsPrefix()
    {
        var address = NetworkConfigSchema.Address(Config(("ipv4.address", "10.42.7.1/24")));

        Assert.NotNull(address);
        Assert.Equal("10.42.7.1/24", address.Value.ToString());
    }
}
