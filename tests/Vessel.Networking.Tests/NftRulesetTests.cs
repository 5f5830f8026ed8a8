using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Networking.Tests;

public sealed class NftRulesetTests
{
    private static readonly string[] ChainPrefixes = ["in", "fwd", "dnat", "localdnat", "snat"];

    private static NetworkPlan Plan(string name, params (string Key, string Value)[] config) =>
        new(new Network { Name = name, Config = config.ToDictionary(c => c.Key, c => c.Value) }, [], []);

    private static NetworkPlan Nat(string name = "n1") => Plan(name, ("ipv4.address", "10.1.2.1/24"));

    /// <summary>The rules the script adds to one chain of the network, in order.</summary>
    private static List<string> Rules(string script, string chain)
    {
        var prefix = $"add rule inet vessel {chain} ";
        return [.. script.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..])];
    }

    private static IEnumerable<string> AllRules(string script, string network) => ChainPrefixes.SelectMany(p => Rules(script, $"{p}.{network}"));

    [Fact]
    public void Apply_MakesTheTableAndFlushesAllFiveChainsOfTheNetwork()
    {
        var script = NftRuleset.Apply(Nat());

        Assert.StartsWith("add table inet vessel\n", script, StringComparison.Ordinal);
        Assert.Contains("add chain inet vessel in.n1 { type filter hook input priority filter; policy accept; }\nflush chain inet vessel in.n1\n", script,
            StringComparison.Ordinal);
        Assert.Contains("add chain inet vessel fwd.n1 { type filter hook forward priority filter; policy accept; }\nflush chain inet vessel fwd.n1\n", script,
            StringComparison.Ordinal);
        Assert.Contains("add chain inet vessel dnat.n1 { type nat hook prerouting priority dstnat; policy accept; }\nflush chain inet vessel dnat.n1\n", script,
            StringComparison.Ordinal);
        Assert.Contains("add chain inet vessel localdnat.n1 { type nat hook output priority -100; policy accept; }\nflush chain inet vessel localdnat.n1\n",
            script, StringComparison.Ordinal);
        Assert.Contains("add chain inet vessel snat.n1 { type nat hook postrouting priority srcnat; policy accept; }\nflush chain inet vessel snat.n1\n",
            script, StringComparison.Ordinal);
        Assert.DoesNotContain("delete", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_NamesEveryChainAfterTheNetwork()
    {
        var script = NftRuleset.Apply(Nat("lab2"));

        var chains = script.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("add table", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[4]).Distinct().ToList();
        Assert.Equal(["in.lab2", "fwd.lab2", "dnat.lab2", "localdnat.lab2", "snat.lab2"], chains);
    }

    [Fact]
    public void Apply_NatNetwork_MasqueradesItsSubnetOutward_AndDropsNothing()
    {
        var script = NftRuleset.Apply(Nat());

        Assert.Equal(["ip saddr 10.1.2.0/24 ip daddr != 10.1.2.0/24 masquerade"], Rules(script, "snat.n1"));
        Assert.DoesNotContain(AllRules(script, "n1"), r => r.Contains("drop", StringComparison.Ordinal));
        Assert.Empty(Rules(script, "in.n1"));
        Assert.Empty(Rules(script, "fwd.n1"));
    }

    [Fact]
    public void Apply_NatNetwork_MasqueradesWithItsOwnPrefix() =>
        Assert.Equal(["ip saddr 172.20.0.0/16 ip daddr != 172.20.0.0/16 masquerade"],
            Rules(NftRuleset.Apply(Plan("big", ("ipv4.address", "172.20.0.1/16"))), "snat.big"));

    [Fact]
    public void Apply_RoutedWithoutNat_HasNoRules() =>
        Assert.Empty(AllRules(NftRuleset.Apply(Plan("n1", ("ipv4.address", "10.1.2.1/24"), ("ipv4.nat", "false"))), "n1"));

    [Fact]
    public void Apply_NetworkWithoutIpv4_MasqueradesNothing() =>
        Assert.Empty(AllRules(NftRuleset.Apply(Plan("n1", ("ipv4.address", "none"))), "n1"));

    [Fact]
    public void Apply_HostOnly_DropsForwardingInBothDirections_AndMasqueradesNothing()
    {
        var script = NftRuleset.Apply(Plan("ho", ("ipv4.address", "10.1.2.1/24"), ("ipv4.routing", "false"), ("ipv4.nat", "false")));

        // Members still reach each other: with br_netfilter, traffic between two ports of the bridge passes the forward hook as bridge to bridge.
        Assert.Equal(["iifname \"ho\" oifname != \"ho\" drop", "oifname \"ho\" iifname != \"ho\" drop"], Rules(script, "fwd.ho"));
        Assert.Empty(Rules(script, "snat.ho"));
        Assert.Empty(Rules(script, "in.ho"));
    }

    [Fact]
    public void Apply_Isolated_LetsOnlyDhcpAndDnsReachTheHost_AndNothingOut()
    {
        var script = NftRuleset.Apply(Plan("iso", ("ipv4.address", "10.1.2.1/24"), ("security.isolated", "true")));

        Assert.Equal(
        [
            "iifname \"iso\" udp dport { 53, 67 } accept",
            "iifname \"iso\" tcp dport 53 accept",
            "iifname \"iso\" udp dport 547 accept",
            "iifname \"iso\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept",
            "iifname \"iso\" ct state established,related accept",
            "iifname \"iso\" drop",
        ], Rules(script, "in.iso"));
        Assert.Equal(["iifname \"iso\" oifname != \"iso\" drop", "oifname \"iso\" iifname != \"iso\" drop"], Rules(script, "fwd.iso"));
        Assert.Empty(Rules(script, "snat.iso"));
        Assert.DoesNotContain(AllRules(script, "iso"), r => r.Contains("masquerade", StringComparison.Ordinal));
    }

    [Fact]
    public void Apply_WithIpv6_MasqueradesItsPrefix_UnlessIpv6NatIsOff()
    {
        var script = NftRuleset.Apply(Plan("n6", ("ipv4.address", "10.1.2.1/24"), ("ipv6.address", "fd42:1:2:3::1/64")));
        var withoutNat = NftRuleset.Apply(Plan("n6", ("ipv4.address", "10.1.2.1/24"), ("ipv6.address", "fd42:1:2:3::1/64"), ("ipv6.nat", "false")));

        Assert.Contains("ip6 saddr fd42:1:2:3::/64 ip6 daddr != fd42:1:2:3::/64 masquerade", Rules(script, "snat.n6"));
        Assert.DoesNotContain(Rules(withoutNat, "snat.n6"), r => r.StartsWith("ip6", StringComparison.Ordinal));
    }

    [Fact]
    public void Apply_Forward_DnatsFromOutsideAndFromTheHost_AndMasqueradesTheHairpin()
    {
        var plan = Nat() with { Forwards = [new ForwardRule(Ip.Address("192.0.2.10"), 8080, "tcp", Ip.Address("10.1.2.5"), 80)] };

        var script = NftRuleset.Apply(plan);

        Assert.Equal(["ip daddr 192.0.2.10 tcp dport 8080 dnat ip to 10.1.2.5:80"], Rules(script, "dnat.n1"));
        Assert.Equal(["ip daddr 192.0.2.10 tcp dport 8080 dnat ip to 10.1.2.5:80"], Rules(script, "localdnat.n1"));
        Assert.Equal(
        [
            "ip saddr 10.1.2.0/24 ip daddr != 10.1.2.0/24 masquerade",
            "ip saddr 10.1.2.0/24 ip daddr 10.1.2.5 tcp dport 80 ct status dnat masquerade",
        ], Rules(script, "snat.n1"));
    }

    [Fact]
    public void Apply_UdpForwards_MatchUdp_OneRuleEach()
    {
        var plan = Nat() with
        {
            Forwards =
            [
                new ForwardRule(Ip.Address("192.0.2.10"), 53, "udp", Ip.Address("10.1.2.5"), 5353),
                new ForwardRule(Ip.Address("192.0.2.11"), 2222, "tcp", Ip.Address("10.1.2.6"), 22),
            ],
        };

        var script = NftRuleset.Apply(plan);

        Assert.Equal(["ip daddr 192.0.2.10 udp dport 53 dnat ip to 10.1.2.5:5353", "ip daddr 192.0.2.11 tcp dport 2222 dnat ip to 10.1.2.6:22"],
            Rules(script, "dnat.n1"));
        Assert.Equal(Rules(script, "dnat.n1"), Rules(script, "localdnat.n1"));
        Assert.Contains("ip saddr 10.1.2.0/24 ip daddr 10.1.2.5 udp dport 5353 ct status dnat masquerade", Rules(script, "snat.n1"));
    }

    [Fact]
    public void Apply_ForwardOnARoutedNetworkWithoutNat_StillMasqueradesTheHairpinOnly()
    {
        var plan = Plan("n1", ("ipv4.address", "10.1.2.1/24"), ("ipv4.nat", "false")) with
        {
            Forwards = [new ForwardRule(Ip.Address("192.0.2.10"), 8080, "tcp", Ip.Address("10.1.2.5"), 80)],
        };

        Assert.Equal(["ip saddr 10.1.2.0/24 ip daddr 10.1.2.5 tcp dport 80 ct status dnat masquerade"], Rules(NftRuleset.Apply(plan), "snat.n1"));
    }

    [Fact]
    public void Remove_DeletesOnlyTheChainsOfTheNetworkThatExist()
    {
        string[] existing = ["in.n1", "fwd.n1", "snat.n1", "in.n10", "dnat.n2", "other"];

        var script = NftRuleset.Remove("n1", existing, lastNetwork: false);

        Assert.Equal("delete chain inet vessel in.n1\ndelete chain inet vessel fwd.n1\ndelete chain inet vessel snat.n1\n", script);
    }

    [Fact]
    public void Remove_WhenNoChainOfTheNetworkExists_IsEmpty() =>
        Assert.Equal("", NftRuleset.Remove("n1", ["in.n2"], lastNetwork: false));

    [Fact]
    public void Remove_OfTheLastNetwork_DeletesTheWholeTable() =>
        Assert.Equal("delete table inet vessel\n", NftRuleset.Remove("n1", ["in.n1"], lastNetwork: true));

    [Fact]
    public void TwoNetworks_ShareNoChain()
    {
        var first = NftRuleset.Apply(Nat("n1"));
        var second = NftRuleset.Apply(Plan("n2", ("ipv4.address", "10.9.9.1/24")));

        Assert.DoesNotContain(".n2", first, StringComparison.Ordinal);
        Assert.DoesNotContain(".n1", second, StringComparison.Ordinal);
        Assert.DoesNotContain(".n1", NftRuleset.Remove("n2", ChainPrefixes.SelectMany(p => new[] { $"{p}.n1", $"{p}.n2" }), lastNetwork: false), StringComparison.Ordinal);
    }
}
