using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Networking.Tests;

public sealed class DnsmasqTests
{
    private static readonly Dnsmasq Server = new("n1", "/var/lib/vessel/networks/n1", "/run/vessel/networks/n1");

    private static IReadOnlyList<string> Arguments(params (string Key, string Value)[] config) =>
        Server.Arguments(new Network { Name = "n1", Config = config.ToDictionary(c => c.Key, c => c.Value) });

    [Fact]
    public void Files_LiveInTheNetworksDirectories()
    {
        Assert.Equal("/run/vessel/networks/n1/dnsmasq.pid", Server.PidFile);
        Assert.Equal("/run/vessel/networks/n1/dnsmasq.args", Server.ArgumentsFile);
        Assert.Equal("/var/lib/vessel/networks/n1/dnsmasq.leases", Server.LeaseFile);
        Assert.Equal("/var/lib/vessel/networks/n1/dhcp-hosts", Server.DhcpHostsFile);
        Assert.Equal("/var/lib/vessel/networks/n1/hosts", Server.HostsFile);
    }

    [Fact]
    public void Arguments_BindToTheBridgeOnly_AndNameTheFiles()
    {
        var arguments = Arguments(("ipv4.address", "10.1.2.1/24"));

        Assert.Equal("--conf-file=/dev/null", arguments[0]);
        Assert.Contains("--bind-interfaces", arguments);
        Assert.Contains("--except-interface=lo", arguments);
        Assert.Contains("--interface=n1", arguments);
        Assert.Contains("--listen-address=10.1.2.1", arguments);
        Assert.Contains("--pid-file=/run/vessel/networks/n1/dnsmasq.pid", arguments);
        Assert.Contains("--dhcp-leasefile=/var/lib/vessel/networks/n1/dnsmasq.leases", arguments);
        Assert.Contains("--dhcp-hostsfile=/var/lib/vessel/networks/n1/dhcp-hosts", arguments);
        Assert.Contains("--addn-hosts=/var/lib/vessel/networks/n1/hosts", arguments);
        Assert.Contains("--no-hosts", arguments); // the host's /etc/hosts is not the network's business
        Assert.Equal(arguments.Count, arguments.Distinct().Count());
    }

    [Fact]
    public void Arguments_ServeTheDomain_VesselByDefault()
    {
        Assert.Contains("--domain=vessel", Arguments(("ipv4.address", "10.1.2.1/24")));
        Assert.Contains("--local=/vessel/", Arguments(("ipv4.address", "10.1.2.1/24")));

        var lab = Arguments(("ipv4.address", "10.1.2.1/24"), ("dns.domain", "lab"));
        Assert.Contains("--domain=lab", lab);
        Assert.Contains("--local=/lab/", lab);
        Assert.DoesNotContain("--domain=vessel", lab);
    }

    [Theory]
    [InlineData("10.1.2.1/24", "--dhcp-range=10.1.2.128,10.1.2.254,255.255.255.0,1h")]
    [InlineData("10.1.0.1/16", "--dhcp-range=10.1.128.0,10.1.255.254,255.255.0.0,1h")]
    [InlineData("10.0.0.17/28", "--dhcp-range=10.0.0.24,10.0.0.30,255.255.255.240,1h")]
    public void Arguments_HandTheUpperHalfToDhcp_WithTheMask(string address, string range)
    {
        var arguments = Arguments(("ipv4.address", address));

        Assert.Equal([range], arguments.Where(a => a.StartsWith("--dhcp-range=", StringComparison.Ordinal)));
    }

    [Fact]
    public void Arguments_WithoutDhcp_HaveNoRangeAndNoRouterOption()
    {
        var arguments = Arguments(("ipv4.address", "10.1.2.1/24"), ("ipv4.dhcp", "false"), ("ipv4.routing", "false"), ("ipv4.nat", "false"));

        Assert.DoesNotContain(arguments, a => a.StartsWith("--dhcp-range", StringComparison.Ordinal));
        Assert.DoesNotContain(arguments, a => a.StartsWith("--dhcp-option", StringComparison.Ordinal));
        Assert.Contains("--listen-address=10.1.2.1", arguments); // DNS still
    }

    [Fact]
    public void Arguments_OfARoutedNetwork_LetTheBridgeBeTheRouter() =>
        Assert.DoesNotContain(Arguments(("ipv4.address", "10.1.2.1/24")), a => a.StartsWith("--dhcp-option", StringComparison.Ordinal));

    [Theory]
    [InlineData("ipv4.routing", "false")]
    [InlineData("security.isolated", "true")]
    public void Arguments_OfANetworkThatIsNotRouted_GiveAnEmptyRouterOption(string key, string value)
    {
        var arguments = Arguments(("ipv4.address", "10.1.2.1/24"), (key, value), ("ipv4.nat", "false"));

        Assert.Equal(["--dhcp-option=option:router"], arguments.Where(a => a.StartsWith("--dhcp-option", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("auto")]
    public void Arguments_OfANetworkWithoutAddress_Throw(string address) =>
        Assert.Throws<InvalidOperationException>(() => Arguments(("ipv4.address", address)));

    [Fact]
    public void DhcpHosts_GiveEveryNicItsAddressAndName()
    {
        NetworkMember[] members =
        [
            new("web1", "eth0", "02:76:73:00:00:01", Ip.Address("10.1.2.2")),
            new("db", "eth0", "02:76:73:00:00:02", Ip.Address("10.1.2.30")),
        ];

        Assert.Equal("02:76:73:00:00:01,10.1.2.2,web1\n02:76:73:00:00:02,10.1.2.30,db\n", Dnsmasq.DhcpHosts(members));
    }

    [Fact]
    public void Hosts_NameEveryInstanceOnce_ByItsFirstNic()
    {
        NetworkMember[] members =
        [
            new("web1", "eth0", "02:76:73:00:00:01", Ip.Address("10.1.2.2")),
            new("web1", "eth1", "02:76:73:00:00:03", Ip.Address("10.1.2.4")),
            new("db", "eth0", "02:76:73:00:00:02", Ip.Address("10.1.2.3")),
        ];

        Assert.Equal("10.1.2.2 web1\n10.1.2.3 db\n", Dnsmasq.Hosts(members));
        Assert.Equal(3, Dnsmasq.DhcpHosts(members).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void NoMembers_GiveEmptyFiles()
    {
        Assert.Equal("", Dnsmasq.DhcpHosts([]));
        Assert.Equal("", Dnsmasq.Hosts([]));
    }
}
