using System.Text;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Networking;

/// <summary>
/// Vessel's nftables rules: one table, inet vessel, and five base chains per network named after it, so a
/// network's rules can be replaced or removed in one transaction without touching anything else on the host.
/// </summary>
internal static class NftRuleset
{
    public const string Family = "inet", Table = "vessel";

    private static readonly (string Prefix, string Spec)[] Chains =
    [
        ("in", "type filter hook input priority filter; policy accept;"),
        ("fwd", "type filter hook forward priority filter; policy accept;"),
        ("dnat", "type nat hook prerouting priority dstnat; policy accept;"),
        ("localdnat", "type nat hook output priority -100; policy accept;"),
        ("snat", "type nat hook postrouting priority srcnat; policy accept;"),
    ];

    /// <summary>An nft -f script that sets the network's chains to exactly the plan's rules.</summary>
    public static string Apply(NetworkPlan plan)
    {
        var name = plan.Network.Name;
        var config = plan.Network.Config;
        var bridge = Quote(name);
        var rules = Chains.ToDictionary(c => c.Prefix, _ => new List<string>());
        if (NetworkConfigSchema.IsIsolated(config))
        {
            rules["in"].Add($"iifname {bridge} udp dport {{ 53, 67 }} accept");
            rules["in"].Add($"iifname {bridge} tcp dport 53 accept");
            rules["in"].Add($"iifname {bridge} udp dport 547 accept");
            rules["in"].Add($"iifname {bridge} icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit }} accept");
            rules["in"].Add($"iifname {bridge} ct state established,related accept");
            rules["in"].Add($"iifname {bridge} drop");
        }
        if (!NetworkConfigSchema.Routes(config))
        {
            // Only what leaves or enters the bridge: with br_netfilter loaded (Docker loads it) traffic between two
            // members passes this hook too, as bridge to bridge, and members must still reach each other.
            rules["fwd"].Add($"iifname {bridge} oifname != {bridge} drop");
            rules["fwd"].Add($"oifname {bridge} iifname != {bridge} drop");
        }
        if (NetworkConfigSchema.Address(config) is { } address && NetworkConfigSchema.Masquerades(config))
            rules["snat"].Add($"ip saddr {address.Subnet} ip daddr != {address.Subnet} masquerade");
        if (NetworkConfigSchema.Address6(config) is { } address6 && NetworkConfigSchema.MasqueradesIpv6(config))
            rules["snat"].Add($"ip6 saddr {address6.Subnet} ip6 daddr != {address6.Subnet} masquerade");
        foreach (var forward in plan.Forwards)
        {
            var match = $"ip daddr {Ipv4Cidr.FormatAddress(forward.ListenAddress)} {forward.Protocol} dport {forward.ListenPort}";
            var target = $"{Ipv4Cidr.FormatAddress(forward.TargetAddress)}:{forward.TargetPort}";
            rules["dnat"].Add($"{match} dnat ip to {target}");
            rules["localdnat"].Add($"{match} dnat ip to {target}");
            // Hairpin: a member reaching another member through the forward must see replies come back the same way.
            if (NetworkConfigSchema.Address(config) is { } subnet)
                rules["snat"].Add($"ip saddr {subnet.Subnet} ip daddr {Ipv4Cidr.FormatAddress(forward.TargetAddress)} " +
                    $"{forward.Protocol} dport {forward.TargetPort} ct status dnat masquerade");
        }

        var script = new StringBuilder($"add table {Family} {Table}\n");
        foreach (var (prefix, spec) in Chains)
        {
            var chain = $"{Family} {Table} {prefix}.{name}";
            script.Append($"add chain {chain} {{ {spec} }}\nflush chain {chain}\n");
            foreach (var rule in rules[prefix])
                script.Append($"add rule {chain} {rule}\n");
        }
        return script.ToString();
    }

    /// <summary>An nft -f script that removes the network's chains among those the table has; the whole table with the last network.</summary>
    public static string Remove(string name, IEnumerable<string> existingChains, bool lastNetwork)
    {
        var script = new StringBuilder();
        if (lastNetwork)
            return script.Append($"delete table {Family} {Table}\n").ToString();
        foreach (var chain in existingChains.Where(c => Chains.Any(k => c == $"{k.Prefix}.{name}")))
            script.Append($"delete chain {Family} {Table} {chain}\n");
        return script.ToString();
    }

    private static string Quote(string interfaceName) => $"\"{interfaceName}\"";
}
