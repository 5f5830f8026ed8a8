using Vessel.Core.Model;

namespace Vessel.Core.Validation;

/// <summary>
/// The network config keys, named as in Incus where Incus has one. What a network lets through follows from
/// three of them: ipv4.nat (masquerade out, the default), ipv4.routing=false (host-only: members reach each
/// other and the host, nothing beyond) and security.isolated=true (members reach only each other; the host
/// answers their DHCP and DNS and nothing else).
/// </summary>
public static class NetworkConfigSchema
{
    public const string Ipv4Address = "ipv4.address", Ipv4Nat = "ipv4.nat", Ipv4Routing = "ipv4.routing", Ipv4Dhcp = "ipv4.dhcp",
        Ipv6Address = "ipv6.address", Ipv6Nat = "ipv6.nat", Isolated = "security.isolated", DnsDomain = "dns.domain", Mtu = "bridge.mtu";

    private static readonly Dictionary<string, ConfigKey> Keys = new ConfigKey[]
    {
        new(Ipv4Address, "auto, none, or the bridge's address with its subnet such as 10.42.7.1/24", (key, value, _) =>
        {
            if (value is not ("auto" or "none"))
                Ipv4Cidr.ParseHost(key, value);
        }),
        ConfigKey.Bool(Ipv4Nat),
        ConfigKey.Bool(Ipv4Routing),
        ConfigKey.Bool(Ipv4Dhcp),
        new(Ipv6Address, "none (the default), auto, or the bridge's address with its /64 such as fd42:7:7:7::1/64", (key, value, _) =>
        {
            if (value is not ("auto" or "none"))
                Ipv6Cidr.ParseHost(key, value);
        }),
        ConfigKey.Bool(Ipv6Nat),
        ConfigKey.Bool(Isolated),
        new(DnsDomain, "a DNS label such as vessel", (key, value, _) => Names.ValidateLabel(key, value)),
        ConfigKey.Integer(Mtu, 576, 9000),
    }.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public static void ValidateKey(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Keys.TryGetValue(key, out var known))
        {
            known.Check(key, value, HostResources.Current);
            return;
        }
        if (key.StartsWith("user.", StringComparison.Ordinal) && key.Length > "user.".Length)
        {
            ConfigKey.Text(key).Check(key, value, HostResources.Current);
            return;
        }
        throw new BadRequestException($"{key}: unknown network config key (known: {string.Join(", ", Keys.Keys.Order())}, and user.*)");
    }

    /// <summary>Checks every key and that the keys agree with each other.</summary>
    public static void Validate(IReadOnlyDictionary<string, string> config)
    {
        foreach (var (key, value) in config)
            ValidateKey(key, value);
        var isolated = config.GetValueOrDefault(Isolated) == "true";
        if (isolated && config.GetValueOrDefault(Ipv4Nat) == "true")
            throw new BadRequestException($"{Ipv4Nat}: an isolated network (security.isolated=true) has no way out, so no NAT");
        if (isolated && config.GetValueOrDefault(Ipv4Routing) == "true")
            throw new BadRequestException($"{Ipv4Routing}: an isolated network (security.isolated=true) is not routed");
        if (isolated && config.GetValueOrDefault(Ipv6Nat) == "true")
            throw new BadRequestException($"{Ipv6Nat}: an isolated network (security.isolated=true) has no way out, so no NAT");
        if (config.GetValueOrDefault(Ipv4Routing) == "false" && config.GetValueOrDefault(Ipv4Nat) == "true")
            throw new BadRequestException($"{Ipv4Nat}: NAT needs routing; with ipv4.routing=false set ipv4.nat=false too");
    }

    public static bool IsIsolated(IReadOnlyDictionary<string, string> config) => config.GetValueOrDefault(Isolated) == "true";

    /// <summary>Whether traffic is routed between the bridge and the rest of the host's networks.</summary>
    public static bool Routes(IReadOnlyDictionary<string, string> config) =>
        !IsIsolated(config) && config.GetValueOrDefault(Ipv4Routing, "true") == "true";

    public static bool Masquerades(IReadOnlyDictionary<string, string> config) =>
        Routes(config) && config.GetValueOrDefault(Ipv4Nat, "true") == "true";

    public static bool MasqueradesIpv6(IReadOnlyDictionary<string, string> config) =>
        Routes(config) && config.GetValueOrDefault(Ipv6Nat, "true") == "true";

    public static bool ServesDhcp(IReadOnlyDictionary<string, string> config) => config.GetValueOrDefault(Ipv4Dhcp, "true") == "true";

    public static string Domain(IReadOnlyDictionary<string, string> config) => config.GetValueOrDefault(DnsDomain, "vessel");

    public static int BridgeMtu(IReadOnlyDictionary<string, string> config) =>
        int.Parse(config.GetValueOrDefault(Mtu, "1500"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The bridge's IPv6 address and /64, or null for a network without IPv6 (ipv6.address=none, the default).</summary>
    public static Ipv6Cidr? Address6(IReadOnlyDictionary<string, string> config) =>
        config.GetValueOrDefault(Ipv6Address) is { } value && value is not ("none" or "auto") ? Ipv6Cidr.ParseHost(Ipv6Address, value) : null;

    /// <summary>The bridge's address and subnet, or null for a network without IPv4 (ipv4.address=none).</summary>
    public static Ipv4Cidr? Address(IReadOnlyDictionary<string, string> config) =>
        config.GetValueOrDefault(Ipv4Address) is { } value && value is not ("none" or "auto") ? Ipv4Cidr.ParseHost(Ipv4Address, value) : null;
}
