using System.Diagnostics;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Xunit.Abstractions;

namespace Vessel.IntegrationTests;

/// <summary>
/// Real VMs on the other machine types under TCG, through the real CLI: an aarch64 guest (qemu-system-aarch64, virt) and
/// an x86_64 microvm, both from the busybox VM image; and the machine-type input Vessel refuses.
/// </summary>
public sealed class MachineTypeTests(ITestOutputHelper output) : IDisposable
{
    private const string Marker = "vessel-busybox-vm: init reached";
    private readonly Host _host = new();
    private string? _namespace;

    public void Dispose()
    {
        _host.Dispose();
        if (_namespace is not null)
            _host.Run("ip", "netns", "del", _namespace);
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private static void Refused(CliResult result, string error)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"Error: {error}", result.Stderr.Trim());
    }

    private List<Instance> Instances() => JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!;

    private string WaitForConsole(string name, string text, TimeSpan within) => _host.WaitForConsole(name, text, within);

    private IEnumerable<string> QemuProcessesOfThisDaemon(string binary) =>
        Host.CommandLines(binary).Where(c => c.Contains(_host.RunDirectory, StringComparison.Ordinal));

    private void AssertNothingLeftOf(string name)
    {
        Assert.DoesNotContain(Instances(), i => i.Name == name);
        Assert.Empty(QemuProcessesOfThisDaemon("qemu-system-aarch64").Concat(QemuProcessesOfThisDaemon("qemu-system-x86_64")));
        Assert.False(Directory.Exists(Path.Combine(_host.RunDirectory, "instances", name)));
        Assert.False(Directory.Exists(Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", name)));
    }

    [Fact]
    public void Aarch64BusyboxVm_BootsToAShell_StopsByItsPowerButton_LeavingNothing()
    {
        _host.StartDaemon();
        Ok(_host.Vessel("image", "build", "busybox", "--vm", "--arch", "aarch64"));
        Assert.Contains("Architecture: aarch64", _host.Vessel("image", "show", "busybox/aarch64", "--vm").Stdout);

        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("launch", "busybox/aarch64", "a1", "--vm", "-c", "limits.memory=256MiB"));
        WaitForConsole("a1", Marker, TimeSpan.FromSeconds(60));
        output.WriteLine($"aarch64 busybox VM: launch to init marker {clock.Elapsed.TotalSeconds:0.00} s");
        // The shell /init runs next prints its banner and prompt on the PL011.
        WaitForConsole("a1", "\n/ # ", TimeSpan.FromSeconds(30));
        Assert.Matches(@"built-in shell \(ash\)[\s\S]*\n/ # ", WaitForConsole("a1", Marker, TimeSpan.Zero));
        Assert.Contains("Architecture: aarch64\nMachine: virt (qemu-system-aarch64, tcg)\n", _host.Vessel("info", "a1").Stdout);
        Assert.Contains(QemuProcessesOfThisDaemon("qemu-system-aarch64"), c => c.Contains("virt,gic-version=max", StringComparison.Ordinal));

        Ok(_host.Vessel("stop", "a1", "--timeout", "20"));
        Assert.Equal(InstanceStatus.Stopped, Instances().Single(i => i.Name == "a1").Status);
        Assert.Contains("power button pressed", _host.Vessel("console", "a1", "--show-log").Stdout);

        Ok(_host.Vessel("delete", "a1"));
        AssertNothingLeftOf("a1");
    }

    [Fact]
    public void MicrovmBusyboxVm_BootsToItsInitWithANic_AndRefusesNicHotplug()
    {
        // The image is built in the host's namespace (apt needs the mirror), the daemon then runs in a namespace of the test's.
        _host.StartDaemon();
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        _host.KillDaemon(15);
        _namespace = $"vit-mvm-{Environment.ProcessId}";
        Ok(_host.Run("ip", "netns", "add", _namespace));
        _host.NetworkNamespace = _namespace;
        _host.StartDaemon();
        Ok(_host.Vessel("network", "create", "vmvm", "ipv4.address=10.83.0.1/24"));

        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("launch", "busybox", "m1", "--vm", "--network", "vmvm", "-c", "vm.machine=microvm", "-c", "limits.memory=256MiB"));
        WaitForConsole("m1", Marker, TimeSpan.FromSeconds(60));
        output.WriteLine($"microvm busybox VM: launch to init marker {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Contains("Machine: microvm (qemu-system-x86_64, ", _host.Vessel("info", "m1").Stdout);
        Assert.Contains(QemuProcessesOfThisDaemon("qemu-system-x86_64"), c => c.Contains("microvm", StringComparison.Ordinal) &&
            c.Contains("virtio-net-device", StringComparison.Ordinal) && !c.Contains("-pci", StringComparison.Ordinal));
        // Its virtio-mmio nic works: the guest's DHCP client takes the address Vessel gave it, which answers.
        var address = _host.Vessel("config", "get", "m1", "volatile.eth0.ipv4.address").Stdout.Trim();
        var ping = Stopwatch.StartNew();
        while (_host.Run("ip", "netns", "exec", _namespace, "busybox", "ping", "-c", "1", "-W", "1", address).ExitCode != 0)
            Assert.True(ping.Elapsed < TimeSpan.FromSeconds(30), $"m1 does not answer at {address} after 30 s");

        var taps = _host.Run("ip", "-n", _namespace, "-o", "link", "show", "type", "tun").Stdout;
        Refused(_host.Vessel("config", "device", "add", "m1", "eth1", "nic", "network=vmvm"),
            "a microvm machine has no hotplug: eth1 cannot be added to \"m1\" while it runs; stop it first");
        Assert.DoesNotContain("eth1", _host.Vessel("config", "show", "m1").Stdout);
        Assert.Equal(taps, _host.Run("ip", "-n", _namespace, "-o", "link", "show", "type", "tun").Stdout);

        Ok(_host.Vessel("stop", "m1", "--timeout", "20"));
        Assert.Contains("power button pressed", _host.Vessel("console", "m1", "--show-log").Stdout);
        Ok(_host.Vessel("delete", "m1"));
        AssertNothingLeftOf("m1");
        Assert.Equal("", _host.Run("ip", "-n", _namespace, "-o", "link", "show", "type", "tun").Stdout);
    }

    [Fact]
    public void MachineTypeBadInput_IsRefusedBeforeAnythingIsMade()
    {
        _host.StartDaemon();
        Refused(_host.Vessel("image", "build", "busybox", "--arch", "aarch64"),
            "architecture: of the aarch64 images only busybox --vm can be built yet (containers run only this host's architecture, " +
            "and a foreign Debian tree needs qemu-user emulation for its maintainer scripts)");
        Refused(_host.Vessel("image", "build", "busybox", "--vm", "--arch", "sparc64"), "architecture: \"sparc64\" is not one of x86_64, aarch64");
        Ok(_host.Vessel("image", "build", "busybox", "--vm", "--arch", "aarch64"));

        Refused(_host.Vessel("launch", "busybox/aarch64", "bad", "--vm", "-c", "vm.machine=pc"), "vm.machine: \"pc\" is not one of q35, microvm, virt");
        Refused(_host.Vessel("launch", "busybox/aarch64", "bad", "--vm", "-c", "vm.machine=microvm"),
            "vm.machine: microvm is no machine type for an aarch64 guest; aarch64 guests run on virt");
        Refused(_host.Vessel("launch", "busybox/aarch64", "bad", "--vm", "-c", "vm.accel=kvm"),
            "vm.accel: KVM runs only x86_64 guests on this host; an aarch64 guest runs under tcg (or auto)");
        AssertNothingLeftOf("bad");

        Ok(_host.Vessel("launch", "busybox/aarch64", "a2", "--vm", "-c", "limits.memory=256MiB"));
        Refused(_host.Vessel("config", "set", "a2", "vm.machine=q35"), "vm.machine: q35 is no machine type for an aarch64 guest; aarch64 guests run on virt");
        Refused(_host.Vessel("config", "set", "a2", "vm.accel=tcg"), "vm.accel cannot change while the virtual machine runs; stop it first");
        Assert.DoesNotContain("vm.", _host.Vessel("config", "show", "a2").Stdout);
        Ok(_host.Vessel("delete", "a2", "--force"));
        AssertNothingLeftOf("a2");
    }
}
