using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;

namespace Vessel.Networking;

/// <summary>The files and the command line of one network's dnsmasq, which serves its DHCP and DNS.</summary>
internal sealed record Dnsmasq(string Network, string StateDirectory, string RunDirectory)
{
    public string PidFile => Path.Combine(RunDirectory, "dnsmasq.pid");
    /// <summary>The arguments the running dnsmasq was started with; a change means a restart.</summary>
    public string ArgumentsFile => Path.Combine(RunDirectory, "dnsmasq.args");
    public string LeaseFile => Path.Combine(StateDirectory, "dnsmasq.leases");
    public string DhcpHostsFile => Path.Combine(StateDirectory, "dhcp-hosts");
    public string HostsFile => Path.Combine(StateDirectory, "hosts");

    public IReadOnlyList<string> Arguments(Network network)
    {
        var config = network.Config;
        var address = NetworkConfigSchema.Address(config) ?? throw new InvalidOperationException($"network {network.Name} has no IPv4 address");
        var domain = NetworkConfigSchema.Domain(config);
        var arguments = new List<string>
        {
            "--conf-file=/dev/null",
            "--no-hosts",
            "--strict-order",
            "--bind-interfaces",
            "--except-interface=lo",
            $"--interface={network.Name}",
            $"--listen-address={address.AddressText}",
            $"--pid-file={PidFile}",
            $"--dhcp-leasefile={LeaseFile}",
            $"--dhcp-hostsfile={DhcpHostsFile}",
            $"--addn-hosts={HostsFile}",
            $"--domain={domain}",
            $"--local=/{domain}/",
            "--expand-hosts",
            "--domain-needed",
            "--dhcp-authoritative",
            "--dhcp-no-override",
        };
        if (NetworkConfigSchema.ServesDhcp(config))
        {
            var (first, last) = Ipam.DynamicRange(address);
            arguments.Add($"--dhcp-range={Ipv4Cidr.FormatAddress(first)},{Ipv4Cidr.FormatAddress(last)},{address.MaskText},1h");
            if (!NetworkConfigSchema.Routes(config))
                arguments.Add("--dhcp-option=option:router"); // no default route: nothing lies beyond this network
        }
        if (!NetworkConfigSchema.Routes(config))
            arguments.Add("--no-resolv"); // nor through DNS: names beyond the network stay unknown
        if (NetworkConfigSchema.Address6(config) is not null)
        {
            // Router advertisements for SLAAC (a nic's address follows from its MAC, as Vessel computes it too).
            arguments.Add("--enable-ra");
            arguments.Add($"--dhcp-range=::,constructor:{network.Name},ra-stateless,64,1h");
            if (!NetworkConfigSchema.Routes(config))
                arguments.Add($"--ra-param={network.Name},60,0"); // router lifetime 0: not a default router
        }
        return arguments;
    }

    /// <summary>dhcp-host lines: the nic's MAC gets its fixed address and the instance's name.</summary>
    public static string DhcpHosts(IEnumerable<NetworkMember> members) =>
        string.Concat(members.Select(m => $"{m.Hwaddr},{Ipv4Cidr.FormatAddress(m.Ipv4)},{m.Instance}\n"));

    /// <summary>hosts lines: every instance's name resolves to its address, with or without the domain (--expand-hosts).</summary>
    public static string Hosts(IEnumerable<NetworkMember> members) =>
        string.Concat(members.GroupBy(m => m.Instance).Select(g =>
            $"{Ipv4Cidr.FormatAddress(g.First().Ipv4)} {g.Key}\n" + (g.First().Ipv6 is { } v6 ? $"{Ipv6Cidr.FormatAddress(v6)} {g.Key}\n" : "")));
}
