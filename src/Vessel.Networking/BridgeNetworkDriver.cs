using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Linux;

namespace Vessel.Networking;

/// <summary>
/// Linux bridges configured with iproute2, firewalled and NATed by nftables, served by one dnsmasq each.
/// Everything lives in the network namespace vesseld runs in. Files: STATE/NAME/ (leases, hosts), RUN/NAME/ (pid).
/// </summary>
public sealed class BridgeNetworkDriver(string stateDirectory, string runDirectory) : INetworkDriver
{
    private static readonly string Ip = HostCommand.Resolve("ip"), Nft = HostCommand.Resolve("nft"), Tc = HostCommand.Resolve("tc"),
        DnsmasqProgram = HostCommand.Resolve("dnsmasq");
    private static readonly string[] RequiredPrograms = ["ip", "nft", "dnsmasq", "tc"];

    public DriverInfo Probe()
    {
        var missing = RequiredPrograms.Where(p => !Path.IsPathRooted(HostCommand.Resolve(p))).ToList();
        return missing.Count == 0
            ? new DriverInfo("bridge", "", true, "Linux bridges, nftables, dnsmasq")
            : new DriverInfo("bridge", "", false, $"missing programs: {string.Join(", ", missing)} (run ./scripts/install.sh)");
    }

    public async Task<IReadOnlyList<Ipv4Cidr>> HostSubnetsAsync(CancellationToken cancellationToken) =>
        [.. (await RouteDestinationsAsync("-4", 32, cancellationToken)).Select(d => Ipv4Cidr.TryParse(d, out var cidr) ? cidr : (Ipv4Cidr?)null).OfType<Ipv4Cidr>()];

    public async Task<IReadOnlyList<Ipv6Cidr>> HostIpv6SubnetsAsync(CancellationToken cancellationToken) =>
        [.. (await RouteDestinationsAsync("-6", 128, cancellationToken)).Select(d => Ipv6Cidr.TryParse(d, out var cidr) ? cidr : (Ipv6Cidr?)null).OfType<Ipv6Cidr>()];

    /// <summary>Where the host's routes of a family lead, in every table, as PREFIX/LENGTH (a host route gets the full length).</summary>
    private static async Task<List<string>> RouteDestinationsAsync(string family, int hostLength, CancellationToken cancellationToken)
    {
        var routes = Json(await HostCommand.RunCheckedAsync(Ip, [family, "-json", "route", "show", "table", "all"], cancellationToken: cancellationToken));
        var destinations = new List<string>();
        foreach (var route in routes.EnumerateArray())
        {
            if (route.TryGetProperty("dst", out var dst) && dst.GetString() is { } destination && destination != "default")
                destinations.Add(destination.Contains('/', StringComparison.Ordinal) ? destination : $"{destination}/{hostLength}");
        }
        return destinations;
    }

    public async Task<IReadOnlyList<uint>> HostAddressesAsync(CancellationToken cancellationToken)
    {
        var addresses = new List<uint>();
        foreach (var (local, _) in Addresses(await HostCommand.RunCheckedAsync(Ip, ["-4", "-json", "addr", "show"], cancellationToken: cancellationToken)))
        {
            if (Ipv4Cidr.TryParseAddress(local, out var address))
                addresses.Add(address);
        }
        return addresses;
    }

    /// <summary>The addresses in `ip -json addr show` output; ip writes an empty object for each one its filters leave out.</summary>
    private static IEnumerable<(string Local, int PrefixLength)> Addresses(string json)
    {
        foreach (var link in Json(json).EnumerateArray())
        {
            if (!link.TryGetProperty("addr_info", out var infos))
                continue;
            foreach (var info in infos.EnumerateArray())
            {
                if (info.TryGetProperty("local", out var local) && info.TryGetProperty("prefixlen", out var length))
                    yield return (local.GetString()!, length.GetInt32());
            }
        }
    }

    public bool InterfaceExists(string name) => NetworkInterfaces.Exists(name);

    // What this daemon last applied per network: a plan that changes only members (an instance created or
    // deleted) then costs a rewrite of dnsmasq's hosts files, not the bridge and the firewall again.
    private readonly ConcurrentDictionary<string, (string Config, string Rules)> _applied = new(StringComparer.OrdinalIgnoreCase);

    public async Task ApplyAsync(NetworkPlan plan, CancellationToken cancellationToken)
    {
        var network = plan.Network;
        var name = network.Name;
        var address = NetworkConfigSchema.Address(network.Config);
        var config = string.Join('\n', network.Config.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"));
        var rules = NftRuleset.Apply(plan);
        _applied.TryRemove(name, out var last);
        if (last.Config != config || !NetworkInterfaces.Exists(name))
        {
            if (!NetworkInterfaces.Exists(name))
                await HostCommand.RunCheckedAsync(Ip, ["link", "add", "name", name, "type", "bridge"], cancellationToken: cancellationToken);
            else if (!await IsBridgeAsync(name, cancellationToken))
                throw new HostCommandException($"the host has an interface named {name} that is not a bridge; Vessel leaves it alone");
            await HostCommand.RunCheckedAsync(Ip, ["link", "set", "dev", name, "address", BridgeMac(name), "mtu",
                NetworkConfigSchema.BridgeMtu(network.Config).ToString(System.Globalization.CultureInfo.InvariantCulture), "up"], cancellationToken: cancellationToken);
            var address6 = NetworkConfigSchema.Address6(network.Config);
            await SetAddressesAsync(name, "-4", address?.ToString(), cancellationToken);
            await SetAddressesAsync(name, "-6", address6?.ToString(), cancellationToken);
            if (NetworkConfigSchema.Routes(network.Config))
            {
                await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1\n", cancellationToken);
                if (address6 is not null)
                    await EnableIpv6ForwardingAsync(cancellationToken);
            }
        }
        if (last.Rules != rules)
            await HostCommand.RunCheckedAsync(Nft, ["-f", "-"], rules, cancellationToken);
        await ApplyDnsmasqAsync(plan, address, cancellationToken);
        _applied[name] = (config, rules);
    }

    private static async Task<bool> IsBridgeAsync(string name, CancellationToken cancellationToken)
    {
        var links = Json(await HostCommand.RunCheckedAsync(Ip, ["-d", "-json", "link", "show", "dev", name], cancellationToken: cancellationToken));
        return links.EnumerateArray().Any(l => l.TryGetProperty("linkinfo", out var info) && info.TryGetProperty("info_kind", out var kind) &&
            kind.GetString() == "bridge");
    }

    /// <summary>Gives the bridge exactly the configured global address of one family (-4 or -6), removing any other it has.</summary>
    private static async Task SetAddressesAsync(string bridge, string family, string? wanted, CancellationToken cancellationToken)
    {
        var present = false;
        var json = await HostCommand.RunCheckedAsync(Ip, [family, "-json", "addr", "show", "dev", bridge, "scope", "global"], cancellationToken: cancellationToken);
        foreach (var (local, length) in Addresses(json))
        {
            var current = $"{local}/{length}";
            if (wanted is not null && Same(current, wanted))
                present = true;
            else
                await HostCommand.RunCheckedAsync(Ip, [family, "addr", "del", current, "dev", bridge], cancellationToken: cancellationToken);
        }
        if (wanted is not null && !present)
            await HostCommand.RunCheckedAsync(Ip, family == "-6" ? [family, "addr", "add", wanted, "dev", bridge, "nodad"] : [family, "addr", "add", wanted, "dev", bridge],
                cancellationToken: cancellationToken);
    }

    private static bool Same(string a, string b) =>
        Ipv6Cidr.TryParse(a, out var x) && Ipv6Cidr.TryParse(b, out var y) ? x == y : a == b;

    /// <summary>
    /// Turns IPv6 forwarding on. With forwarding on, Linux ignores router advertisements on interfaces whose
    /// accept_ra is 1, and a host that learns its own IPv6 route that way would lose it: such interfaces get 2 first.
    /// </summary>
    private static async Task EnableIpv6ForwardingAsync(CancellationToken cancellationToken)
    {
        const string conf = "/proc/sys/net/ipv6/conf";
        if (!Directory.Exists(conf))
            throw new Vessel.Core.NotSupportedYetException("ipv6.address: IPv6 is disabled on this host");
        if ((await File.ReadAllTextAsync($"{conf}/all/forwarding", cancellationToken)).Trim() == "1")
            return;
        foreach (var directory in Directory.EnumerateDirectories(conf))
        {
            var acceptRa = Path.Combine(directory, "accept_ra");
            if (File.Exists(acceptRa) && (await File.ReadAllTextAsync(acceptRa, cancellationToken)).Trim() == "1")
                await File.WriteAllTextAsync(acceptRa, "2\n", cancellationToken);
        }
        await File.WriteAllTextAsync($"{conf}/all/forwarding", "1\n", cancellationToken);
    }

    private async Task ApplyDnsmasqAsync(NetworkPlan plan, Ipv4Cidr? address, CancellationToken cancellationToken)
    {
        var dnsmasq = DnsmasqOf(plan.Network.Name);
        if (address is null)
        {
            StopDnsmasq(dnsmasq);
            return;
        }
        Directory.CreateDirectory(dnsmasq.StateDirectory);
        Directory.CreateDirectory(dnsmasq.RunDirectory);
        await WriteReadableAsync(dnsmasq.DhcpHostsFile, Dnsmasq.DhcpHosts(plan.Members), cancellationToken);
        await WriteReadableAsync(dnsmasq.HostsFile, Dnsmasq.Hosts(plan.Members), cancellationToken);
        var arguments = dnsmasq.Arguments(plan.Network);
        var joined = string.Join('\n', arguments);
        if (RunningDnsmasq(dnsmasq) is { } pid)
        {
            if (File.Exists(dnsmasq.ArgumentsFile) && await File.ReadAllTextAsync(dnsmasq.ArgumentsFile, cancellationToken) == joined)
            {
                Processes.TryKill(pid, 1); // SIGHUP: read the hosts files again
                return;
            }
            StopDnsmasq(dnsmasq);
        }
        await HostCommand.RunCheckedAsync(DnsmasqProgram, arguments, cancellationToken: cancellationToken);
        await File.WriteAllTextAsync(dnsmasq.ArgumentsFile, joined, cancellationToken);
    }

    /// <summary>dnsmasq drops to its own user before it reads these files.</summary>
    private static async Task WriteReadableAsync(string path, string content, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, content, cancellationToken);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temporary, path, overwrite: true);
    }

    private Dnsmasq DnsmasqOf(string network) => new(network, Path.Combine(stateDirectory, network), Path.Combine(runDirectory, network));

    /// <summary>The pid of this network's dnsmasq, proven by its command line naming our pid file.</summary>
    private static int? RunningDnsmasq(Dnsmasq dnsmasq)
    {
        try
        {
            var pid = int.Parse(File.ReadAllText(dnsmasq.PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return ProcStat.IsRunning(pid) && commandLine.Contains($"--pid-file={dnsmasq.PidFile}\0", StringComparison.Ordinal) ? pid : null;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void StopDnsmasq(Dnsmasq dnsmasq)
    {
        if (RunningDnsmasq(dnsmasq) is { } pid)
        {
            Processes.TryKill(pid, 15);
            for (var i = 0; i < 200 && ProcStat.IsRunning(pid); i++)
                Thread.Sleep(10);
            if (ProcStat.IsRunning(pid))
                Processes.TryKill(pid, 9);
        }
        File.Delete(dnsmasq.PidFile);
        File.Delete(dnsmasq.ArgumentsFile);
    }

    /// <summary>Removes each part on its own, so that one that fails (or is gone) does not keep the others on the host.</summary>
    public async Task DeleteAsync(string name, bool lastNetwork, CancellationToken cancellationToken)
    {
        _applied.TryRemove(name, out _);
        var dnsmasq = DnsmasqOf(name);
        var failures = new List<string>();
        async Task Step(Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add(e.Message);
            }
        }
        await Step(() => { StopDnsmasq(dnsmasq); return Task.CompletedTask; });
        await Step(async () =>
        {
            if (NetworkInterfaces.Exists(name))
                await HostCommand.RunCheckedAsync(Ip, ["link", "del", "dev", name], cancellationToken: cancellationToken);
        });
        await Step(async () =>
        {
            var chains = await FirewallChainsAsync(cancellationToken);
            if (chains is not null && NftRuleset.Remove(name, chains, lastNetwork) is { Length: > 0 } script)
                await HostCommand.RunCheckedAsync(Nft, ["-f", "-"], script, cancellationToken);
        });
        foreach (var directory in new[] { dnsmasq.StateDirectory, dnsmasq.RunDirectory })
            await Step(() => { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); return Task.CompletedTask; });
        if (failures.Count > 0)
            throw new HostCommandException($"network {name} was not removed completely: {string.Join("; ", failures)}");
    }

    /// <summary>The chains of Vessel's table, or null when the table does not exist.</summary>
    private static async Task<IReadOnlyList<string>?> FirewallChainsAsync(CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(Nft, ["-j", "list", "table", NftRuleset.Family, NftRuleset.Table], cancellationToken: cancellationToken);
        if (result.Code != 0)
            return null;
        var chains = new List<string>();
        foreach (var item in Json(result.Output).GetProperty("nftables").EnumerateArray())
        {
            if (item.TryGetProperty("chain", out var chain))
                chains.Add(chain.GetProperty("name").GetString()!);
        }
        return chains;
    }

    public async Task PlugAsync(NicAttachment nic, InstanceType type, CancellationToken cancellationToken)
    {
        await UnplugAsync(nic, cancellationToken); // a leftover of a start that crashed
        if (type == InstanceType.Container)
            return;
        var mtu = nic.Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await HostCommand.RunCheckedAsync(Ip, ["-batch", "-"],
                $"tuntap add dev {nic.HostInterface} mode tap\nlink set dev {nic.HostInterface} mtu {mtu} master {nic.Network} up\n", cancellationToken);
        }
        catch
        {
            await UnplugAsync(nic, CancellationToken.None);
            throw;
        }
    }

    public Task LimitAsync(NicAttachment nic, CancellationToken cancellationToken) => BandwidthLimits.ApplyAsync(Tc, Ip, nic, cancellationToken);

    public async Task UnplugAsync(NicAttachment nic, CancellationToken cancellationToken)
    {
        foreach (var name in new[] { nic.HostInterface, InterfaceNames.Ifb(nic.HostInterface) })
        {
            if (NetworkInterfaces.Exists(name))
                await HostCommand.RunAsync(Ip, ["link", "del", "dev", name], cancellationToken: cancellationToken);
        }
    }

    /// <summary>A fixed MAC per bridge, so it does not change with the ports that join it.</summary>
    private static string BridgeMac(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        return $"02:76:73:{hash[0]:x2}:{hash[1]:x2}:{hash[2]:x2}";
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text.Length == 0 ? "[]" : text).RootElement;
}
