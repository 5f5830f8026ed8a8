using System.Globalization;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Validation;
using Vessel.Daemon.Events;
using Vessel.Networking;

namespace Vessel.Daemon.Networks;

/// <summary>
/// Networks and the nics on them. The store holds what should be; the driver makes the host hold it. Every
/// change re-applies the whole plan of the network it touches, so the host never drifts from the store.
/// Addresses and MACs of nics are chosen here and kept in the instance's volatile.DEVICE.* config keys.
/// </summary>
public sealed class NetworkService(IStateStore store, INetworkDriver driver, EventHub events) : IDisposable
{
    /// <summary>The network an instance's eth0 joins when its request names no network and has no nic.</summary>
    public const string DefaultNetwork = "vsbr0";

    // One change at a time: address choice must see every address taken before it.
    private readonly SemaphoreSlim _lock = new(1, 1);

    public void Dispose() => _lock.Dispose();

    public static string Path(string name) => $"/1.0/networks/{name}";

    public static string HwaddrKey(string device) => $"{InstanceConfigSchema.VolatilePrefix}{device}.hwaddr";
    public static string Ipv4Key(string device) => $"{InstanceConfigSchema.VolatilePrefix}{device}.ipv4.address";

    public async Task<Network> GetAsync(string name, CancellationToken cancellationToken) =>
        await store.GetNetworkAsync(name, cancellationToken) ?? throw new NotFoundException($"network \"{name}\" not found");

    public async Task<NetworkView> ViewAsync(Network network, CancellationToken cancellationToken)
    {
        var members = Members(network.Name, await store.ListInstancesAsync(cancellationToken));
        return new NetworkView(network, driver.InterfaceExists(network.Name),
            [.. members.Select(m => m.Instance).Distinct()],
            [.. members.Select(m => new NetworkLease(m.Instance, m.Device, m.Hwaddr, Ipv4Cidr.FormatAddress(m.Ipv4)))]);
    }

    public async Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        return new Release(_lock);
    }

    /// <summary>Releases the lock once, however often it is disposed (callers may let go early).</summary>
    private sealed class Release(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                semaphore.Release();
            return ValueTask.CompletedTask;
        }
    }

    public async Task<Network> CreateAsync(NetworksPost request, CancellationToken cancellationToken)
    {
        Names.ValidateNetworkName("name", request.Name);
        var config = new Dictionary<string, string>(request.Config ?? []);
        NetworkConfigSchema.Validate(config);
        CheckOperational();
        await using var _ = await LockAsync(cancellationToken);
        if (await store.GetNetworkAsync(request.Name!, cancellationToken) is not null)
            throw new ConflictException($"network \"{request.Name}\" already exists");
        if (driver.InterfaceExists(request.Name!))
            throw new ConflictException($"name: the host already has an interface named \"{request.Name}\"");
        var address = await ChooseAddressAsync(request.Name!, config.GetValueOrDefault(NetworkConfigSchema.Ipv4Address, "auto"), cancellationToken);
        config[NetworkConfigSchema.Ipv4Address] = address.Length > 0 ? address : "none";
        config[NetworkConfigSchema.Ipv6Address] = await ChooseIpv6AddressAsync(request.Name!, config.GetValueOrDefault(NetworkConfigSchema.Ipv6Address, "none"), cancellationToken);
        var network = new Network { Name = request.Name!, Description = request.Description ?? "", Config = config, CreatedAt = DateTimeOffset.UtcNow };

        await using var revert = new Reverter();
        await store.CreateNetworkAsync(network, cancellationToken);
        revert.Add(() => store.DeleteNetworkAsync(network.Name, CancellationToken.None));
        revert.Add(async () => await driver.DeleteAsync(network.Name, await IsLastAsync(network.Name), CancellationToken.None));
        await driver.ApplyAsync(new NetworkPlan(network, [], []), cancellationToken);
        revert.Success();
        events.Lifecycle("network-created", Path(network.Name));
        return network;
    }

    /// <summary>The subnet for ipv4.address: a free /24 for auto, the given one when it overlaps nothing, empty for none.</summary>
    private async Task<string> ChooseAddressAsync(string name, string value, CancellationToken cancellationToken)
    {
        if (value == "none")
            return "";
        var all = (await store.ListNetworksAsync(cancellationToken))
            .Select(n => (n.Name, Address: NetworkConfigSchema.Address(n.Config))).Where(n => n.Address is not null).ToList();
        // The host routes every network's subnet through its bridge, this one's too: those routes are Vessel's, not the host's.
        var hostSubnets = (await driver.HostSubnetsAsync(cancellationToken)).Where(s => !all.Any(n => n.Address!.Value.Subnet == s.Subnet) && s.PrefixLength < 32).ToList();
        var networks = all.Where(n => !n.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (value == "auto")
            return Ipam.ChooseSubnet([.. hostSubnets, .. networks.Select(n => n.Address!.Value)], Random.Shared).ToString();
        var wanted = Ipv4Cidr.ParseHost(NetworkConfigSchema.Ipv4Address, value);
        foreach (var (other, address) in networks)
        {
            if (address!.Value.Overlaps(wanted))
                throw new BadRequestException($"{NetworkConfigSchema.Ipv4Address}: {wanted.Subnet} overlaps network \"{other}\" ({address.Value.Subnet})");
        }
        foreach (var subnet in hostSubnets.Where(s => s.Overlaps(wanted)))
            throw new BadRequestException($"{NetworkConfigSchema.Ipv4Address}: {wanted.Subnet} overlaps {subnet.Subnet}, which the host already routes");
        return wanted.ToString();
    }

    /// <summary>The /64 for ipv6.address: a random unique local one for auto, the given one when it overlaps nothing, or none.</summary>
    private async Task<string> ChooseIpv6AddressAsync(string name, string value, CancellationToken cancellationToken)
    {
        if (value == "none")
            return value;
        var taken = (await store.ListNetworksAsync(cancellationToken)).Where(n => !n.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(n => (n.Name, Address: NetworkConfigSchema.Address6(n.Config))).Where(n => n.Address is not null).ToList();
        if (value == "auto")
        {
            while (true)
            {
                var candidate = Ipv6Cidr.RandomUniqueLocal(Random.Shared);
                if (!taken.Any(t => t.Address!.Value.Overlaps(candidate)))
                    return candidate.ToString();
            }
        }
        var wanted = Ipv6Cidr.ParseHost(NetworkConfigSchema.Ipv6Address, value);
        foreach (var (other, address) in taken.Where(t => t.Address!.Value.Overlaps(wanted)))
            throw new BadRequestException($"{NetworkConfigSchema.Ipv6Address}: {wanted.Subnet} overlaps network \"{other}\" ({address!.Value.Subnet})");
        var ours = taken.Select(t => t.Address!.Value.Subnet).ToHashSet();
        foreach (var subnet in (await driver.HostIpv6SubnetsAsync(cancellationToken)).Where(s => !ours.Contains(s.Subnet) && s.PrefixLength < 128 && s.Overlaps(wanted)))
            throw new BadRequestException($"{NetworkConfigSchema.Ipv6Address}: {wanted.Subnet} overlaps {subnet.Subnet}, which the host already routes");
        return wanted.ToString();
    }

    public async Task<Network> UpdateAsync(string name, NetworkPatch patch, CancellationToken cancellationToken)
    {
        await using var _ = await LockAsync(cancellationToken);
        var network = await GetAsync(name, cancellationToken);
        var config = new Dictionary<string, string>(network.Config);
        foreach (var (key, value) in patch.Config ?? [])
        {
            if (value is null)
                config.Remove(key);
            else
                config[key] = value;
        }
        NetworkConfigSchema.Validate(config);
        var instances = await store.ListInstancesAsync(cancellationToken);
        var oldAddress = network.Config.GetValueOrDefault(NetworkConfigSchema.Ipv4Address);
        var newAddress = config.GetValueOrDefault(NetworkConfigSchema.Ipv4Address, "auto");
        if (newAddress != oldAddress)
        {
            if (Members(name, instances).Count > 0)
                throw new ConflictException($"{NetworkConfigSchema.Ipv4Address}: network \"{name}\" has nics on it; their addresses would no longer fit");
            var address = await ChooseAddressAsync(name, newAddress, cancellationToken);
            config[NetworkConfigSchema.Ipv4Address] = address.Length > 0 ? address : "none";
        }
        var newAddress6 = config.GetValueOrDefault(NetworkConfigSchema.Ipv6Address, "none");
        if (newAddress6 != network.Config.GetValueOrDefault(NetworkConfigSchema.Ipv6Address, "none"))
        {
            if (Members(name, instances).Count > 0)
                throw new ConflictException($"{NetworkConfigSchema.Ipv6Address}: network \"{name}\" has nics on it; their addresses would no longer fit");
            config[NetworkConfigSchema.Ipv6Address] = await ChooseIpv6AddressAsync(name, newAddress6, cancellationToken);
        }
        var updated = network with { Config = config, Description = patch.Description ?? network.Description };
        CheckForwardsAllowed(updated);
        await driver.ApplyAsync(Plan(updated, instances), cancellationToken);
        await store.UpdateNetworkAsync(updated, cancellationToken);
        events.Lifecycle("network-updated", Path(name));
        return updated;
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var _ = await LockAsync(cancellationToken);
        name = (await GetAsync(name, cancellationToken)).Name; // the bridge, its files and chains have the stored spelling
        var users = Members(name, await store.ListInstancesAsync(cancellationToken)).Select(m => m.Instance).Distinct().ToList();
        if (users.Count > 0)
            throw new ConflictException($"network \"{name}\" is used by instance(s) {string.Join(", ", users)}");
        await driver.DeleteAsync(name, await IsLastAsync(name), cancellationToken);
        await store.DeleteNetworkAsync(name, cancellationToken);
        events.Lifecycle("network-deleted", Path(name));
    }

    private async Task<bool> IsLastAsync(string name) => (await store.ListNetworksAsync()).All(n => n.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    // Forwards

    public async Task<Network> AddForwardAsync(string name, NetworkForwardPost request, CancellationToken cancellationToken)
    {
        var protocol = request.Protocol ?? "tcp";
        if (protocol is not ("tcp" or "udp"))
            throw new BadRequestException($"protocol: \"{protocol}\" is not tcp or udp");
        var listen = Ipv4Cidr.ParseAddress("listen_address", request.ListenAddress ?? "");
        if (listen >> 24 == 127)
            throw new BadRequestException("listen_address: a loopback address cannot be forwarded; use an address of one of the host's interfaces");
        CheckPort("listen_port", request.ListenPort);
        CheckPort("target_port", request.TargetPort);
        Names.ValidateLabel("instance", request.Instance);

        await using var _ = await LockAsync(cancellationToken);
        var network = await GetAsync(name, cancellationToken);
        if (!(await driver.HostAddressesAsync(cancellationToken)).Contains(listen))
            throw new BadRequestException($"listen_address: {request.ListenAddress} is not an address of this host");
        var instances = await store.ListInstancesAsync(cancellationToken);
        if (!Members(name, instances).Any(m => m.Instance.Equals(request.Instance, StringComparison.OrdinalIgnoreCase)))
            throw new BadRequestException($"instance: \"{request.Instance}\" has no nic on network \"{name}\"");
        foreach (var other in await store.ListNetworksAsync(cancellationToken))
        {
            if (other.Forwards.Any(f => f.ListenAddress == request.ListenAddress && f.ListenPort == request.ListenPort && f.Protocol == protocol))
                throw new ConflictException($"{protocol} {request.ListenAddress}:{request.ListenPort} is already forwarded (network \"{other.Name}\")");
        }
        var forward = new NetworkForward
        {
            ListenAddress = Ipv4Cidr.FormatAddress(listen), ListenPort = request.ListenPort, Protocol = protocol,
            Instance = request.Instance!, TargetPort = request.TargetPort, Description = request.Description ?? "",
        };
        var updated = network with { Forwards = [.. network.Forwards, forward] };
        CheckForwardsAllowed(updated);
        await driver.ApplyAsync(Plan(updated, instances), cancellationToken);
        await store.UpdateNetworkAsync(updated, cancellationToken);
        events.Lifecycle("network-updated", Path(name));
        return updated;
    }

    public async Task<Network> RemoveForwardAsync(string name, string listenAddress, int listenPort, string protocol, CancellationToken cancellationToken)
    {
        await using var _ = await LockAsync(cancellationToken);
        var network = await GetAsync(name, cancellationToken);
        var kept = network.Forwards.Where(f => !(f.ListenAddress == listenAddress && f.ListenPort == listenPort && f.Protocol == protocol)).ToList();
        if (kept.Count == network.Forwards.Count)
            throw new NotFoundException($"network \"{name}\" has no {protocol} forward of {listenAddress}:{listenPort}");
        var updated = network with { Forwards = kept };
        await driver.ApplyAsync(Plan(updated, await store.ListInstancesAsync(cancellationToken)), cancellationToken);
        await store.UpdateNetworkAsync(updated, cancellationToken);
        events.Lifecycle("network-updated", Path(name));
        return updated;
    }

    private static void CheckPort(string field, int port)
    {
        if (port is < 1 or > 65535)
            throw new BadRequestException($"{field}: {port} is not a port (1 to 65535)");
    }

    private static void CheckForwardsAllowed(Network network)
    {
        if (network.Forwards.Count > 0 && !NetworkConfigSchema.Routes(network.Config))
            throw new BadRequestException($"network \"{network.Name}\" is not routed (isolated or ipv4.routing=false): port forwards cannot reach it");
        if (network.Forwards.Count > 0 && NetworkConfigSchema.Address(network.Config) is null)
            throw new BadRequestException($"network \"{network.Name}\" has no IPv4 address: port forwards need one");
    }

    // Nics

    /// <summary>
    /// Gives every nic of the instance its MAC and address (kept in volatile keys; a nic's own hwaddr and
    /// ipv4.address win) and drops the volatile keys of nics that are gone. Call it under <see cref="LockAsync"/>.
    /// </summary>
    public async Task<Dictionary<string, string>> AssignAsync(string instance, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices,
        IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var result = config.Where(c => !IsNicVolatile(c.Key) || devices.ContainsKey(DeviceOfVolatile(c.Key))).ToDictionary();
        var others = (await store.ListInstancesAsync(cancellationToken)).Where(i => !i.Name.Equals(instance, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var (device, settings) in devices.Where(d => d.Value.GetValueOrDefault("type") == "nic").OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var field = $"devices.{device}";
            var networkName = settings["network"];
            var network = await GetAsync(networkName, cancellationToken);
            var subnet = NetworkConfigSchema.Address(network.Config)
                ?? throw new BadRequestException($"{field}.network: network \"{networkName}\" has no IPv4 address to give the nic");
            var taken = Members(networkName, others).Concat(MembersOf(instance, devices, result, networkName).Where(m => m.Device != device)).ToList();

            var hwaddr = settings.GetValueOrDefault("hwaddr")?.ToLowerInvariant() ?? result.GetValueOrDefault(HwaddrKey(device)) ?? Ipam.RandomMac(Random.Shared);
            if (taken.Any(m => m.Hwaddr == hwaddr))
            {
                if (settings.ContainsKey("hwaddr"))
                    throw new ConflictException($"{field}.hwaddr: {hwaddr} is already used on network \"{networkName}\"");
                hwaddr = Ipam.RandomMac(Random.Shared);
            }
            var used = taken.Select(m => m.Ipv4).ToHashSet();
            uint address;
            if (settings.GetValueOrDefault("ipv4.address") is { } fixedAddress)
            {
                address = Ipv4Cidr.ParseAddress($"{field}.ipv4.address", fixedAddress);
                Ipam.CheckStatic($"{field}.ipv4.address", networkName, subnet, address, used);
            }
            else if (result.GetValueOrDefault(Ipv4Key(device)) is { } kept && Ipv4Cidr.TryParseAddress(kept, out var keptAddress) &&
                     subnet.Contains(keptAddress) && !used.Contains(keptAddress) && keptAddress != subnet.Address)
            {
                address = keptAddress;
            }
            else
            {
                address = Ipam.Allocate(networkName, subnet, used);
            }
            result[HwaddrKey(device)] = hwaddr;
            result[Ipv4Key(device)] = Ipv4Cidr.FormatAddress(address);
        }
        return result;
    }

    private static bool IsNicVolatile(string key) =>
        key.StartsWith(InstanceConfigSchema.VolatilePrefix, StringComparison.Ordinal) && (key.EndsWith(".hwaddr", StringComparison.Ordinal) || key.EndsWith(".ipv4.address", StringComparison.Ordinal));

    private static string DeviceOfVolatile(string key)
    {
        var rest = key[InstanceConfigSchema.VolatilePrefix.Length..];
        return rest[..^(rest.EndsWith(".hwaddr", StringComparison.Ordinal) ? ".hwaddr".Length : ".ipv4.address".Length)];
    }

    /// <summary>The nics of the instance as the engines see them.</summary>
    public async Task<IReadOnlyList<NicAttachment>> AttachmentsAsync(Instance instance, CancellationToken cancellationToken)
    {
        var nics = new List<NicAttachment>();
        foreach (var (device, settings) in instance.Devices.Where(d => d.Value.GetValueOrDefault("type") == "nic").OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var network = await GetAsync(settings["network"], cancellationToken);
            var isContainer = instance.Type == InstanceType.Container;
            var subnet = NetworkConfigSchema.Address(network.Config);
            var prefix6 = NetworkConfigSchema.Address6(network.Config);
            var routes = NetworkConfigSchema.Routes(network.Config);
            var (hwaddr, address) = Identity(device, settings, instance.Config);
            nics.Add(new NicAttachment(
                device,
                settings.GetValueOrDefault("name") ?? device,
                network.Name,
                hwaddr ?? throw new InvalidOperationException($"instance {instance.Name} has no MAC for {device}"),
                int.Parse(settings.GetValueOrDefault("mtu") ?? NetworkConfigSchema.BridgeMtu(network.Config).ToString(CultureInfo.InvariantCulture),
                    CultureInfo.InvariantCulture),
                isContainer ? InterfaceNames.VethHost(instance.Name, device) : InterfaceNames.Tap(instance.Name, device))
            {
                IngressLimit = settings.GetValueOrDefault("limits.ingress"),
                EgressLimit = settings.GetValueOrDefault("limits.egress"),
                Ipv4 = subnet is { } s && address is not null ? new Ipv4Cidr(Ipv4Cidr.ParseAddress(Ipv4Key(device), address), s.PrefixLength) : null,
                Gateway = routes ? subnet?.Address : null,
                Ipv6 = prefix6 is { } prefix ? new Ipv6Cidr(prefix.Eui64(hwaddr), prefix.PrefixLength) : null,
                Gateway6 = routes ? prefix6?.Address : null,
                Nameserver = subnet?.Address,
                Domain = NetworkConfigSchema.Domain(network.Config),
            });
        }
        return nics;
    }

    /// <summary>Makes the host ends of the nics before a start; on failure none is left.</summary>
    public async Task PlugAsync(IReadOnlyList<NicAttachment> nics, InstanceType type, CancellationToken cancellationToken)
    {
        if (nics.Count == 0)
            return;
        CheckOperational();
        await using var revert = new Reverter();
        foreach (var nic in nics)
        {
            if (!driver.InterfaceExists(nic.Network))
                throw new ConflictException($"network \"{nic.Network}\" is not up on this host (its bridge is missing)");
            await driver.PlugAsync(nic, type, cancellationToken);
            revert.Add(() => driver.UnplugAsync(nic, CancellationToken.None));
        }
        revert.Success();
    }

    /// <summary>Applies the nics' bandwidth limits once their host ends exist.</summary>
    public async Task LimitAsync(IReadOnlyList<NicAttachment> nics, CancellationToken cancellationToken)
    {
        foreach (var nic in nics.Where(n => n.IngressLimit is not null || n.EgressLimit is not null))
            await driver.LimitAsync(nic, cancellationToken);
    }

    public async Task UnplugAsync(IReadOnlyList<NicAttachment> nics)
    {
        foreach (var nic in nics)
            await driver.UnplugAsync(nic, CancellationToken.None);
    }

    /// <summary>Re-applies the networks the instance's nics are on, e.g. after it was created, changed or deleted.</summary>
    public async Task RefreshAsync(IEnumerable<string> networkNames, CancellationToken cancellationToken)
    {
        var names = networkNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (names.Count == 0)
            return;
        await using var _ = await LockAsync(cancellationToken);
        var instances = await store.ListInstancesAsync(cancellationToken);
        foreach (var name in names)
        {
            if (await store.GetNetworkAsync(name, cancellationToken) is { } network)
                await driver.ApplyAsync(Plan(network, instances), cancellationToken);
        }
    }

    public static IEnumerable<string> NetworksOf(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices) =>
        devices.Values.Where(d => d.GetValueOrDefault("type") == "nic" && d.ContainsKey("network")).Select(d => d["network"]);

    /// <summary>Run at daemon start: puts every network back (bridges and rules are gone after a reboot).</summary>
    public async Task RestoreAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var networks = await store.ListNetworksAsync(cancellationToken);
        if (networks.Count == 0)
            return;
        if (driver.Probe() is { Operational: false } probe)
        {
            Log.NetworkProblem(logger, "*", $"cannot restore networks: {probe.Detail}");
            return;
        }
        var instances = await store.ListInstancesAsync(cancellationToken);
        foreach (var network in networks)
        {
            try
            {
                await driver.ApplyAsync(Plan(network, instances), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.NetworkProblem(logger, network.Name, $"cannot be restored: {e.Message}");
            }
        }
    }

    private void CheckOperational()
    {
        var probe = driver.Probe();
        if (!probe.Operational)
            throw new NotSupportedYetException($"networks cannot work on this host: {probe.Detail}");
    }

    private static NetworkPlan Plan(Network network, IReadOnlyList<Instance> instances)
    {
        var prefix = NetworkConfigSchema.Address6(network.Config);
        var members = Members(network.Name, instances).Select(m => prefix is { } p ? m with { Ipv6 = p.Eui64(m.Hwaddr) } : m).ToList();
        var forwards = new List<ForwardRule>();
        foreach (var forward in network.Forwards)
        {
            // A forward to an instance that is gone installs nothing until an instance of that name is back.
            var target = members.FirstOrDefault(m => m.Instance.Equals(forward.Instance, StringComparison.OrdinalIgnoreCase));
            if (target is not null)
                forwards.Add(new ForwardRule(Ipv4Cidr.ParseAddress("listen_address", forward.ListenAddress), forward.ListenPort, forward.Protocol,
                    target.Ipv4, forward.TargetPort));
        }
        return new NetworkPlan(network, members, forwards);
    }

    private static List<NetworkMember> Members(string network, IEnumerable<Instance> instances) =>
        [.. instances.SelectMany(i => MembersOf(i.Name, i.Devices, i.Config, network))];

    private static IEnumerable<NetworkMember> MembersOf(string instance, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices,
        IReadOnlyDictionary<string, string> config, string network)
    {
        foreach (var (device, settings) in devices.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (settings.GetValueOrDefault("type") != "nic" || !string.Equals(settings.GetValueOrDefault("network"), network, StringComparison.OrdinalIgnoreCase))
                continue;
            var (hwaddr, ipv4) = Identity(device, settings, config);
            if (hwaddr is not null && ipv4 is not null && Ipv4Cidr.TryParseAddress(ipv4, out var address))
                yield return new NetworkMember(instance, device, hwaddr.ToLowerInvariant(), address);
        }
    }

    /// <summary>A nic's MAC and IPv4 address: its own settings when given, else what Vessel chose (the volatile keys).</summary>
    private static (string? Hwaddr, string? Ipv4) Identity(string device, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> config) =>
        (settings.GetValueOrDefault("hwaddr") ?? config.GetValueOrDefault(HwaddrKey(device)),
         settings.GetValueOrDefault("ipv4.address") ?? config.GetValueOrDefault(Ipv4Key(device)));
}
