using Vessel.Core.Model;

namespace Vessel.Core.Drivers;

/// <summary>
/// Puts networks on the host: a bridge per network, its firewall rules, its DHCP and DNS server, and the host
/// ends of instance nics. Every call is idempotent, so the daemon can restore what a restart or a reboot lost
/// by applying each network again.
/// </summary>
public interface INetworkDriver
{
    DriverInfo Probe();

    /// <summary>The IPv4 subnets the host already has routes or addresses in, which a new network must not overlap.</summary>
    Task<IReadOnlyList<Ipv4Cidr>> HostSubnetsAsync(CancellationToken cancellationToken);

    /// <summary>The IPv6 subnets the host already routes (default routes left out).</summary>
    Task<IReadOnlyList<Ipv6Cidr>> HostIpv6SubnetsAsync(CancellationToken cancellationToken);

    /// <summary>The IPv4 addresses of the host's interfaces, which a port forward may listen on.</summary>
    Task<IReadOnlyList<uint>> HostAddressesAsync(CancellationToken cancellationToken);

    /// <summary>Whether an interface of that name exists on the host.</summary>
    bool InterfaceExists(string name);

    /// <summary>Makes the host hold the network as planned: bridge, address, firewall, DHCP and DNS.</summary>
    Task ApplyAsync(NetworkPlan plan, CancellationToken cancellationToken);

    /// <summary>Removes everything the network has on the host; what is already gone is skipped. The last network also takes the firewall table.</summary>
    Task DeleteAsync(string name, bool lastNetwork, CancellationToken cancellationToken);

    /// <summary>
    /// Readies a nic before its instance starts: a VM's tap is made on the bridge; a container's veth pair is made
    /// by its runtime with one end already inside it (moving an end between namespaces costs the kernel ~20 ms),
    /// so here only a leftover of a crashed start is cleared.
    /// </summary>
    Task PlugAsync(NicAttachment nic, InstanceType type, CancellationToken cancellationToken);

    /// <summary>Applies limits.ingress and limits.egress to the host end, once it exists (after the start).</summary>
    Task LimitAsync(NicAttachment nic, CancellationToken cancellationToken);

    /// <summary>Removes the host end of a nic, if it is still there.</summary>
    Task UnplugAsync(NicAttachment nic, CancellationToken cancellationToken);
}

/// <summary>What one network needs on the host: its record, the nics on it and its port forwards with their targets' addresses.</summary>
public sealed record NetworkPlan(Network Network, IReadOnlyList<NetworkMember> Members, IReadOnlyList<ForwardRule> Forwards);

/// <summary>An instance nic on the network: DHCP gives Ipv4 to Hwaddr, DNS answers Instance with Ipv4 (and Ipv6, its SLAAC address).</summary>
public sealed record NetworkMember(string Instance, string Device, string Hwaddr, uint Ipv4)
{
    public UInt128? Ipv6 { get; init; }
}

public sealed record ForwardRule(uint ListenAddress, int ListenPort, string Protocol, uint TargetAddress, int TargetPort);

/// <summary>
/// One nic of an instance as the engines see it. A container's nic is a veth pair: HostInterface on the bridge
/// (Network), the other end inside the container, called Name. A VM's nic is the tap HostInterface.
/// Ipv4 (with the network's prefix), Gateway and Nameserver are what DHCP would give: a container gets them
/// set by its runtime, as its processes may not configure their network (no CAP_NET_ADMIN).
/// </summary>
public sealed record NicAttachment(string Device, string Name, string Network, string Hwaddr, int Mtu, string HostInterface)
{
    public string? IngressLimit { get; init; }
    public string? EgressLimit { get; init; }
    public Ipv4Cidr? Ipv4 { get; init; }
    public uint? Gateway { get; init; }
    /// <summary>The nic's SLAAC address with the network's /64, and the bridge as its IPv6 router.</summary>
    public Ipv6Cidr? Ipv6 { get; init; }
    public UInt128? Gateway6 { get; init; }
    public uint? Nameserver { get; init; }
    public string? Domain { get; init; }
}
