using System.Runtime.CompilerServices;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Linux;

namespace Vessel.Engines.Qemu.Tests;

/// <summary>
/// libvirt-style: an instance config goes in, the expected argv (one argument per line) comes out of Golden/NAME.args.
/// VESSEL_UPDATE_GOLDEN=1 rewrites the golden files from what the builder makes now; review the diff.
/// </summary>
public sealed class QemuCommandLineTests
{
    private static readonly HostResources Host = new(4, 8L << 30);
    private static readonly QemuPaths Paths = new("/run/vessel/instances/vm1", "/var/log/vessel/vm1/console.log");
    private static readonly KernelBoot Kernel = new("/var/lib/vessel/images/abc/kernel/vmlinuz", "/var/lib/vessel/images/abc/kernel/initrd.img",
        "console=ttyS0 quiet");

    private static void AssertGolden(string name, QemuLaunch launch, [CallerFilePath] string source = "")
    {
        var actual = string.Join('\n', QemuCommandLine.Build(launch)) + "\n";
        var golden = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name + ".args");
        if (Environment.GetEnvironmentVariable("VESSEL_UPDATE_GOLDEN") == "1")
            File.WriteAllText(golden, actual);
        Assert.Equal(File.ReadAllText(golden), actual);
    }

    /// <summary>An x86_64 host with 4 CPUs at 2596.124 MHz and 8 GiB; KVM usable or not at all.</summary>
    private static QemuHost HostWith(bool kvm) =>
        new(Host, new AccelerationInfo(kvm, kvm, kvm, kvm ? "KVM with hardware virtualization" : "no /dev/kvm"), "x86_64", 2_596_124);

    private static QemuLaunch Launch(Dictionary<string, string> config, QemuBoot boot, bool kvm, QemuPaths? paths = null, string architecture = "x86_64") =>
        QemuLaunch.FromConfig("vm1", architecture, config, paths ?? Paths, boot, HostWith(kvm));

    private static readonly NicAttachment Nic = new("eth0", "eth0", "vsbr0", "10:66:6a:01:02:03", 1500, "vstap1a2b3c");

    [Fact]
    public void KernelBoot_TcgDefaults_MatchesGolden()
    {
        AssertGolden("kernel-boot-tcg", Launch([], Kernel, kvm: false));
    }

    /// <summary>The instance's uuid is the SMBIOS system UUID and, for a kernel-booted guest, its machine-id.</summary>
    [Fact]
    public void KernelBootWithRootDisk_TcgDefaults_MatchesGolden()
    {
        var kernel = Kernel with { CommandLine = "root=/dev/vda rw console=ttyS0 quiet", RootDisk = "/var/lib/vessel/pools/default/virtual-machines/vm1/root.qcow2" };

        AssertGolden("kernel-boot-root-disk-tcg", Launch(new() { [InstanceIdentity.UuidKey] = "4f7d2c1e-9a3b-4c5d-8e6f-0a1b2c3d4e5f" }, kernel, kvm: false));
    }

    [Fact]
    public void CloudInitSeed_FollowsTheRootDisk_ReadOnly_MatchesGolden()
    {
        var kernel = Kernel with { CommandLine = "root=/dev/vda rw console=ttyS0 quiet", RootDisk = "/var/lib/vessel/pools/default/virtual-machines/vm1/root.qcow2" };

        AssertGolden("kernel-boot-root-disk-seed-tcg", Launch([], kernel, kvm: false) with { Seed = Paths.Seed });
    }

    [Fact]
    public void DiskBoot_KvmTwoCpusOneGiB_MatchesGolden()
    {
        var disk = new DiskBoot("/var/lib/vessel/pools/default/virtual-machines/vm1/root.qcow2", "qcow2");

        AssertGolden("disk-boot-kvm-2cpu-1gib", Launch(new()
        {
            ["limits.cpu"] = "2", ["limits.memory"] = "1GiB", [InstanceIdentity.UuidKey] = "4f7d2c1e-9a3b-4c5d-8e6f-0a1b2c3d4e5f",
        }, disk, kvm: true));
    }

    [Fact]
    public void PathsWithCommas_AreEscapedInOptionLists()
    {
        var paths = new QemuPaths("/run/a,b", "/log/a,b/console.log");
        var disk = new DiskBoot("/pool/a,b/root.qcow2", "qcow2");

        AssertGolden("paths-with-commas", Launch([], disk, kvm: false, paths));
    }

    [Fact]
    public void Aarch64KernelBoot_OnAKvmHost_IsVirtUnderTcg_MatchesGolden()
    {
        var kernel = Kernel with { CommandLine = "console=ttyAMA0 quiet" };

        AssertGolden("aarch64-virt-kernel-boot-tcg", Launch(new() { ["limits.memory"] = "256MiB" }, kernel, kvm: true, architecture: "aarch64") with { Nics = [Nic] });
    }

    [Fact]
    public void MicrovmKernelBootWithRootDiskAndNic_MatchesGolden()
    {
        var kernel = Kernel with { CommandLine = "root=/dev/vda rw console=ttyS0 quiet", RootDisk = "/var/lib/vessel/pools/default/virtual-machines/vm1/root.qcow2" };

        AssertGolden("microvm-kernel-boot-root-disk-nic-tcg", Launch(new() { ["vm.machine"] = "microvm" }, kernel, kvm: false) with { Nics = [Nic] });
    }

    [Fact]
    public void VncAddress_AddsAPasswordedTcpDisplayBesideTheUnixSocket_MatchesGolden()
    {
        AssertGolden("kernel-boot-vnc-tcg", Launch(new() { ["vm.vnc.address"] = "127.0.0.1:5901" }, Kernel, kvm: false));
    }

    [Theory]
    [InlineData("127.0.0.1:5901-5910", "127.0.0.1:1,id=tcp,password=on,to=10")]
    [InlineData("127.0.0.1:auto", "127.0.0.1:0,id=tcp,password=on,to=99")]
    [InlineData("[::1]:5900", "[::1]:0,id=tcp,password=on")]
    public void VncAddress_IsQemusDisplayNumber_ARangeItsTo(string address, string expected)
    {
        var args = QemuCommandLine.Build(Launch(new() { ["vm.vnc.address"] = address }, Kernel, kvm: false));

        Assert.Equal(expected, args[args.ToList().LastIndexOf("-vnc") + 1]);
    }

    [Theory]
    [InlineData(true, "auto", "kvm")]
    [InlineData(true, "tcg", "tcg")]
    [InlineData(false, "auto", "tcg")]
    public void Accel_AutoTakesKvmWhereUsable_TcgOverrides(bool kvm, string asked, string expected)
    {
        Assert.Equal(expected, Launch(new() { ["vm.accel"] = asked }, Kernel, kvm).Accelerator);
    }

    [Theory]
    [InlineData("x86_64", false, "vm.accel: KVM is not usable here: no /dev/kvm")]
    [InlineData("aarch64", true, "vm.accel: KVM runs only x86_64 guests on this host; an aarch64 guest runs under tcg (or auto)")]
    public void Accel_KvmWhereItCannotRun_IsRefused(string architecture, bool kvm, string expected)
    {
        var error = Assert.Throws<BadRequestException>(() => Launch(new() { ["vm.accel"] = "kvm" }, Kernel, kvm, architecture: architecture));

        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("x86_64", "virt", "vm.machine: virt is no machine type for an x86_64 guest; x86_64 guests run on q35 or microvm")]
    [InlineData("aarch64", "q35", "vm.machine: q35 is no machine type for an aarch64 guest; aarch64 guests run on virt")]
    public void Machine_OfAnotherArchitecture_IsRefused(string architecture, string machine, string expected)
    {
        var error = Assert.Throws<BadRequestException>(() => Launch(new() { ["vm.machine"] = machine }, Kernel, kvm: false, architecture: architecture));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void DiskImage_OnMicrovm_IsRefused() =>
        Assert.StartsWith("vm.machine: microvm boots a Linux kernel directly",
            Assert.Throws<BadRequestException>(() => Launch(new() { ["vm.machine"] = "microvm" }, new DiskBoot("/pool/vm1/root.qcow2", "qcow2"), kvm: false)).Message,
            StringComparison.Ordinal);

    /// <summary>The UEFI firmware finds the disk's bootloader at the removable-media path: no -kernel, the disk first in the boot order.</summary>
    [Fact]
    public void DiskBoot_Aarch64Virt_MatchesGolden() =>
        AssertGolden("aarch64-virt-disk-boot-tcg", Launch([], new DiskBoot("/pool/vm1/root.qcow2", "qcow2"), kvm: false, architecture: "aarch64"));

    [Theory]
    [InlineData("processor\t: 0\ncpu MHz\t\t: 2596.124\n", 2_596_124)]
    [InlineData("processor\t: 0\n", 0)]
    public void CpuKiloHertz_ComesFromCpuinfo(string cpuinfo, long expected)
    {
        Assert.Equal(expected, QemuHost.CpuKiloHertzOf(cpuinfo));
    }

    [Fact]
    public void CpuSet_CountsItsCpus()
    {
        Assert.Equal(3, Launch(new() { ["limits.cpu"] = "0-1,3" }, Kernel, kvm: false).Cpus);
    }

    [Fact]
    public void Memory_Percentage_IsShareOfHostInWholeMiB()
    {
        Assert.Equal(4L << 30, Launch(new() { ["limits.memory"] = "50%" }, Kernel, kvm: false).MemoryBytes);
    }

    [Fact]
    public void Memory_Default_Is512MiB()
    {
        Assert.Equal(512L << 20, Launch([], Kernel, kvm: false).MemoryBytes);
    }

    [Fact]
    public void Memory_MoreThanHost_IsRefusedNamingKey()
    {
        var error = Assert.Throws<BadRequestException>(() => Launch(new() { ["limits.memory"] = "16GiB" }, Kernel, kvm: false));

        Assert.StartsWith("limits.memory:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_MoreThanHost_IsRefusedNamingKey()
    {
        var error = Assert.Throws<BadRequestException>(() => Launch(new() { ["limits.cpu"] = "8" }, Kernel, kvm: false));

        Assert.StartsWith("limits.cpu:", error.Message, StringComparison.Ordinal);
    }
}
