using System.Collections.Concurrent;
using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>A host's networking in memory: which plans are applied and which nic ends exist.</summary>
public sealed class FakeNetworkDriver : INetworkDriver
{
    public ConcurrentDictionary<string, NetworkPlan> Applied { get; } = new(StringComparer.OrdinalIgnoreCase);
    public ConcurrentDictionary<string, NicAttachment> Plugged { get; } = new();
    public List<Ipv4Cidr> Routes { get; } = [];
    public HashSet<string> HostInterfaces { get; } = ["lo", "eth0"];
    /// <summary>The addresses of lo and eth0: 127.0.0.1 and 192.0.2.10.</summary>
    public List<uint> HostAddresses { get; } = [0x7F000001, 0xC000020A];
    public bool FirewallTableExists { get; private set; }

    public DriverInfo Probe() => new("fake", "1", true, "in memory");

    public Task<IReadOnlyList<Ipv4Cidr>> HostSubnetsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Ipv4Cidr>>([.. Routes, .. Applied.Values.Select(p => Vessel.Core.Validation.NetworkConfigSchema.Address(p.Network.Config))
            .Where(a => a is not null).Select(a => a!.Value.Subnet)]);

    public Task<IReadOnlyList<uint>> HostAddressesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<uint>>([.. HostAddresses]);

    public List<Ipv6Cidr> Ipv6Routes { get; } = [];

    public Task<IReadOnlyList<Ipv6Cidr>> HostIpv6SubnetsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Ipv6Cidr>>([.. Ipv6Routes]);

    public bool InterfaceExists(string name) => HostInterfaces.Contains(name) || Applied.ContainsKey(name) || Plugged.ContainsKey(name);

    public Task ApplyAsync(NetworkPlan plan, CancellationToken cancellationToken)
    {
        Applied[plan.Network.Name] = plan;
        FirewallTableExists = true;
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string name, bool lastNetwork, CancellationToken cancellationToken)
    {
        Applied.TryRemove(name, out _);
        if (lastNetwork)
            FirewallTableExists = false;
        return Task.CompletedTask;
    }

    public Task PlugAsync(NicAttachment nic, InstanceType type, CancellationToken cancellationToken)
    {
        Plugged[nic.HostInterface] = nic;
        return Task.CompletedTask;
    }

    public List<string> Limited { get; } = [];

    public Task LimitAsync(NicAttachment nic, CancellationToken cancellationToken)
    {
        lock (Limited)
            Limited.Add(nic.HostInterface);
        return Task.CompletedTask;
    }

    public Task UnplugAsync(NicAttachment nic, CancellationToken cancellationToken)
    {
        Plugged.TryRemove(nic.HostInterface, out _);
        return Task.CompletedTask;
    }
}
