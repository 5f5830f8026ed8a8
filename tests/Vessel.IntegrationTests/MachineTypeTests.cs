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

        // The same kernel and initramfs on a disk behind a real bootloader, which the firmware finds on its own.
        var kernelImage = Directory.EnumerateFiles(Path.Combine(_host.StateDirectory, "images"), "kernel.tar", SearchOption.AllDirectories).Single();
        var work = Directory.CreateDirectory(Path.Combine(_host.Root, "uefidisk")).FullName;
        Ok(_host.Run("tar", "-xf", kernelImage, "-C", work));
        var disk = Path.Combine(work, "disk.raw");
        Ok(_host.Run("bash", "-c", MakeUefiBootableDisk, "make-uefi-disk", Path.Combine(work, "vmlinuz"), Path.Combine(work, "initrd.img"), "console=ttyAMA0", disk));
        Ok(_host.Vessel("image", "import", disk, "--vm", "--arch", "aarch64", "--alias", "uefidisk"));
        clock.Restart();
        Ok(_host.Vessel("launch", "uefidisk", "a2", "--vm", "-c", "limits.memory=256MiB"));
        WaitForConsole("a2", Marker, TimeSpan.FromSeconds(60));
        output.WriteLine($"aarch64 disk boot through UEFI and systemd-boot: launch to init marker {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Matches(@"starting Boot\d+ ""UEFI Misc Device""[\s\S]*EFI stub: Booting Linux Kernel[\s\S]*Kernel command line: .*console=ttyAMA0",
            _host.Vessel("console", "a2", "--show-log").Stdout);
        Ok(_host.Vessel("stop", "a2", "--timeout", "20"));
        Ok(_host.Vessel("delete", "a2"));
        AssertNothingLeftOf("a2");
    }

    /// <summary>
    /// Makes a raw disk that boots like an arm64 server's: a GPT with one EFI system partition holding systemd-boot (Debian's
    /// systemd-boot-efi for arm64, fetched by apt into a private cache) at the removable-media path \EFI\BOOT\BOOTAA64.EFI,
    /// which UEFI starts without a boot entry, and KERNEL and INITRD behind a loader entry with CMDLINE.
    /// Arguments: KERNEL INITRD CMDLINE DISK. Host tools only (apt-get, dpkg-deb, mkfs.vfat, mtools, sfdisk).
    /// </summary>
    private const string MakeUefiBootableDisk = """
        set -eu
        kernel=$1 initrd=$2 cmdline=$3 disk=$4
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
        touch "$work/status"
        apt=(apt-get -qq -o APT::Architecture=arm64 -o APT::Architectures=arm64 -o "Dir::State::Lists=$work/lists"
             -o "Dir::Cache=$work/cache" -o "Dir::State::status=$work/status")
        "${apt[@]}" update 2>/dev/null
        (cd "$work/deb" && "${apt[@]}" download systemd-boot-efi 2>/dev/null)
        dpkg-deb -x "$work"/deb/systemd-boot-efi_*.deb "$work/root"
        printf 'timeout 0\ndefault vessel.conf\n' > "$work/loader.conf"
        printf 'title Vessel\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$cmdline" > "$work/vessel.conf"
        esp=$work/esp.img
        mkfs.vfat -C "$esp" 65536 >/dev/null
        mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
        mcopy -i "$esp" "$work/root/usr/lib/systemd/boot/efi/systemd-bootaa64.efi" ::/EFI/BOOT/BOOTAA64.EFI
        mcopy -i "$esp" "$kernel" ::/vmlinuz
        mcopy -i "$esp" "$initrd" ::/initrd.img
        mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
        mcopy -i "$esp" "$work/vessel.conf" ::/loader/entries/vessel.conf
        truncate -s 72M "$disk"
        printf 'label: gpt\nstart=2048, size=131072, type=uefi\n' | sfdisk -q "$disk"
        dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc status=none
        """;

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
