using System.Diagnostics;
using System.Text.Json;
using Vessel.Core.Api;

namespace Vessel.IntegrationTests;

/// <summary>
/// Real networks: vesseld runs in a network namespace this test made, joined by a veth pair to a second one
/// that stands for the world outside (198.51.100.0/24, a documentation range). No packet leaves these two.
/// </summary>
public sealed class NetworkTests : IDisposable
{
    private static readonly string Suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string _inside = $"vit-in-{Suffix}", _outside = $"vit-out-{Suffix}";
    private const string Uplink = "198.51.100.1", World = "198.51.100.2", World6 = "2001:db8:5::2";
    private readonly Host _host = new();

    public NetworkTests()
    {
        // Images are built first in the host's namespace: apt needs the package mirror, which the test namespaces cannot reach.
        _host.StartDaemon();
        Ok(_host.Vessel("image", "build", "busybox"));
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        _host.KillDaemon(15);

        Shell($"ip netns add {_inside} && ip netns add {_outside}",
            $"ip link add vit-up-{Suffix} netns {_inside} type veth peer name vit-w-{Suffix} netns {_outside}",
            $"ip -n {_inside} link set lo up && ip -n {_inside} addr add {Uplink}/24 dev vit-up-{Suffix} && ip -n {_inside} link set vit-up-{Suffix} up",
            $"ip -n {_outside} link set lo up && ip -n {_outside} addr add {World}/24 dev vit-w-{Suffix} && ip -n {_outside} link set vit-w-{Suffix} up",
            $"ip -n {_inside} addr add 2001:db8:5::1/64 dev vit-up-{Suffix} nodad && ip -n {_outside} addr add {World6}/64 dev vit-w-{Suffix} nodad");
        _host.NetworkNamespace = _inside;
        _host.StartDaemon();
    }

    public void Dispose()
    {
        // A test that failed half-way may have left a network, whose dnsmasq would outlive the namespace.
        var run = _host.RunDirectory;
        _host.Dispose();
        foreach (var dnsmasq in Process.GetProcessesByName("dnsmasq"))
        {
            try
            {
                if (File.ReadAllText($"/proc/{dnsmasq.Id}/cmdline").Contains(run, StringComparison.Ordinal))
                    dnsmasq.Kill();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
        Shell($"ip netns del {_inside}; ip netns del {_outside}; true");
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private static string Shell(params string[] commands)
    {
        var result = Run("sh", "-c", string.Join(" && ", commands));
        Assert.True(result.ExitCode == 0, $"{string.Join(" && ", commands)}: {result}");
        return result.Stdout;
    }

    private static CliResult Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private string Inside(string command) => Shell($"ip netns exec {_inside} sh -c '{command}'");

    private CliResult Exec(string instance, params string[] command) => _host.Vessel(["exec", instance, "--", .. command]);

    private static void WaitUntil(Func<bool> condition, string what, int seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what} not within {seconds} s");
            Thread.Sleep(250);
        }
    }

    private NetworkView Show(string network) =>
        JsonSerializer.Deserialize(_host.Vessel("network", "list", "--format", "json").Stdout, VesselJson.Wire.ListNetworkView)!.Single(n => n.Network.Name == network);

    [Fact]
    public void ContainersAndAVm_OnOneNetwork_ReachAndResolveEachOther_ThroughNatToTheOutside_AndAcrossADaemonRestart()
    {
        Ok(_host.Vessel("network", "create", "vnat", "ipv4.address=10.77.0.1/24", "ipv6.address=fd42:0:77::1/64"));
        Ok(_host.Vessel("launch", "busybox", "c1", "--network", "vnat"));
        Ok(_host.Vessel("launch", "busybox", "c2", "--network", "vnat"));
        Ok(_host.Vessel("launch", "busybox", "vm1", "--vm", "--network", "vnat", "-c", "limits.memory=256MiB"));

        Assert.Contains("inet 10.77.0.2/24", Exec("c1", "ip", "-4", "addr", "show", "eth0").Stdout);
        Ok(Exec("c1", "ping", "-c", "1", "-W", "2", "c2"));
        Assert.Contains("10.77.0.2", Exec("c2", "nslookup", "c1.vessel").Stdout);
        // The VM asks DHCP for its address: dnsmasq hands it the one Vessel fixed for its MAC.
        WaitUntil(() => Exec("c1", "ping", "-c", "1", "-W", "1", "vm1").ExitCode == 0, "c1 reaching vm1 by name");

        // Out through NAT: the outside namespace has no route to 10.77.0.0/24, so only a masqueraded ping is answered.
        Ok(Exec("c1", "ping", "-c", "1", "-W", "2", World));

        // IPv6: every nic has its SLAAC address (a VM makes its own from the router advertisements), names have
        // AAAA records, and NAT66 takes the packets out.
        Assert.Contains("inet6 fd42:0:77:0:", Exec("c1", "ip", "-6", "addr", "show", "eth0", "scope", "global").Stdout);
        Ok(Exec("c1", "ping", "-6", "-c", "1", "-W", "2", "c2"));
        WaitUntil(() => Exec("c1", "ping", "-6", "-c", "1", "-W", "1", "vm1").ExitCode == 0, "c1 reaching vm1 over IPv6");
        Ok(Exec("c1", "ping", "-6", "-c", "1", "-W", "2", World6));

        // A nic hotplugged into the running VM: QEMU opens its tap (carrier up), and the guest lets it go again.
        Ok(_host.Vessel("config", "device", "add", "vm1", "eth1", "nic", "network=vnat"));
        Assert.Contains("LOWER_UP", Inside("ip -o link show master vnat | grep \" vt\""));
        Assert.Equal(2, Inside("ip -o link show master vnat").Split('\n').Count(l => l.Contains(": vt", StringComparison.Ordinal)));
        Ok(_host.Vessel("config", "device", "remove", "vm1", "eth1"));
        Assert.Equal(1, Inside("ip -o link show master vnat").Split('\n').Count(l => l.Contains(": vt", StringComparison.Ordinal)));

        _host.KillDaemon(9);
        _host.StartDaemon();
        Ok(Exec("c2", "ping", "-c", "1", "-W", "2", "c1"));
        Ok(Exec("c2", "ping", "-c", "1", "-W", "2", World));

        foreach (var instance in new[] { "c1", "c2", "vm1" })
            Ok(_host.Vessel("delete", "--force", instance));
        Ok(_host.Vessel("network", "delete", "vnat"));
        AssertNothingLeft();
    }

    [Fact]
    public void IsolatedNetwork_MembersReachOnlyEachOther()
    {
        Ok(_host.Vessel("network", "create", "viso", "ipv4.address=10.78.0.1/24", "security.isolated=true"));
        Ok(_host.Vessel("launch", "busybox", "a", "--network", "viso"));
        Ok(_host.Vessel("launch", "busybox", "b", "--network", "viso"));

        Ok(Exec("a", "ping", "-c", "1", "-W", "2", "b"));
        Assert.NotEqual(0, Exec("a", "ping", "-c", "1", "-W", "2", World).ExitCode);
        Assert.NotEqual(0, Exec("a", "ping", "-c", "1", "-W", "2", Uplink).ExitCode);
        Assert.NotEqual(0, Exec("a", "ping", "-c", "1", "-W", "2", "10.78.0.1").ExitCode);
        Assert.Contains("10.78.0.3", Exec("a", "nslookup", "b").Stdout); // DNS from the host is still answered

        // A nic added to and removed from the running container, on a network whose name ip would take for a
        // keyword abbreviation ("n" for "name") unless every command says dev/name.
        Ok(_host.Vessel("network", "create", "n", "ipv4.address=10.81.0.1/24"));
        Ok(_host.Vessel("config", "device", "add", "a", "eth1", "nic", "network=n"));
        Assert.Contains("inet 10.81.0.2/24", Exec("a", "ip", "-4", "addr", "show", "eth1").Stdout);
        Ok(Exec("a", "ping", "-c", "1", "-W", "2", "10.81.0.1"));
        Ok(_host.Vessel("config", "device", "remove", "a", "eth1"));
        Assert.NotEqual(0, Exec("a", "ip", "link", "show", "eth1").ExitCode);
        Ok(_host.Vessel("network", "delete", "n"));

        Ok(_host.Vessel("delete", "--force", "a", "b"));
        Ok(_host.Vessel("network", "delete", "viso"));
        AssertNothingLeft();
    }

    [Fact]
    public void PortForward_CarriesTcpFromOutsideAndFromTheHost_ToAServerInAContainer()
    {
        Ok(_host.Vessel("network", "create", "vfwd", "ipv4.address=10.79.0.1/24"));
        Ok(_host.Vessel("launch", "busybox", "web", "--network", "none"));
        Ok(_host.Vessel("stop", "web", "--force"));
        Ok(_host.Vessel("config", "device", "add", "web", "eth0", "nic", "network=vfwd", "limits.ingress=20Mbit", "limits.egress=10Mbit"));
        Ok(_host.Vessel("start", "web"));
        var hostEnd = Inside("ip -o link show master vfwd").Split(':')[1].Trim().Split('@')[0];
        Assert.Contains("tbf", Inside($"tc qdisc show dev {hostEnd}"));
        Assert.Contains("rate 20Mbit", Inside($"tc qdisc show dev {hostEnd}"));
        Assert.Contains($"Redirect to device vi{hostEnd[2..]}", Inside($"tc filter show dev {hostEnd} parent ffff:"));
        Assert.Contains("rate 10Mbit", Inside($"tc qdisc show dev vi{hostEnd[2..]}"));
        Ok(Exec("web", "sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && httpd -p 80 -h /www"));
        Ok(_host.Vessel("network", "forward", "add", "vfwd", $"{Uplink}:8080", "web:80"));

        var taken = _host.Vessel("network", "forward", "add", "vfwd", $"{Uplink}:8080", "web:81");
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("already forwarded", taken.Stderr);

        Assert.Contains("hello-from-web", Shell($"ip netns exec {_outside} busybox wget -qO- http://{Uplink}:8080/"));
        Assert.Contains("hello-from-web", Inside($"busybox wget -qO- http://{Uplink}:8080/"));

        Ok(_host.Vessel("network", "forward", "remove", "vfwd", $"{Uplink}:8080"));
        Assert.NotEqual(0, Run("ip", "netns", "exec", _outside, "busybox", "wget", "-T", "2", "-qO-", $"http://{Uplink}:8080/").ExitCode);

        Ok(_host.Vessel("delete", "--force", "web"));
        Ok(_host.Vessel("network", "delete", "vfwd"));
        AssertNothingLeft();
    }

    [Fact]
    public void NetworkLostWithAHostReboot_IsRestoredWhenTheDaemonStarts_AndBadInputChangesNothing()
    {
        Ok(_host.Vessel("network", "create", "vrb", "ipv4.address=10.80.0.1/24"));
        Ok(_host.Vessel("launch", "busybox", "c", "--network", "vrb"));
        Ok(_host.Vessel("stop", "c", "--force"));
        var before = Inside("ip -o -4 addr show; nft list ruleset");

        var overlap = _host.Vessel("network", "create", "vrb2", "ipv4.address=10.80.0.200/16");
        Assert.Equal(1, overlap.ExitCode);
        Assert.Contains("overlaps network \"vrb\"", overlap.Stderr);
        Assert.Contains("is not an IPv4 address with a prefix", _host.Vessel("network", "create", "vrb3", "ipv4.address=10.0.0.300/24").Stderr);
        Assert.Contains("used by instance(s) c", _host.Vessel("network", "delete", "vrb").Stderr);
        Assert.Contains("already used on network", _host.Vessel("config", "device", "add", "c", "eth1", "nic", "network=vrb", "ipv4.address=10.80.0.2").Stderr);
        Assert.Equal(before, Inside("ip -o -4 addr show; nft list ruleset"));

        // What a reboot takes: the bridge, the firewall rules and dnsmasq.
        _host.KillDaemon(9);
        Inside($"ip link del vrb; nft delete table inet vessel; kill $(cat {Path.Combine(_host.RunDirectory, "networks", "vrb", "dnsmasq.pid")})");
        _host.StartDaemon();
        Assert.True(Show("vrb").Up);
        Ok(_host.Vessel("start", "c"));
        Assert.Contains("10.80.0.2", Exec("c", "nslookup", "c").Stdout);
        Ok(Exec("c", "ping", "-c", "1", "-W", "2", World));

        Ok(_host.Vessel("delete", "--force", "c"));
        Ok(_host.Vessel("network", "delete", "vrb"));
        AssertNothingLeft();
    }

    /// <summary>No bridge, veth, tap, firewall table or dnsmasq of this daemon is left.</summary>
    private void AssertNothingLeft()
    {
        var links = Inside("ip -br link");
        Assert.DoesNotContain(links.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.StartsWith("lo ", StringComparison.Ordinal) && !l.StartsWith("vit-up-", StringComparison.Ordinal));
        Assert.Equal("", Inside("nft list ruleset").Trim());
        Assert.DoesNotContain(Host.CommandLines("dnsmasq"), c => c.Contains(_host.RunDirectory, StringComparison.Ordinal));
    }
}
