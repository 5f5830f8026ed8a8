using System.Runtime.CompilerServices;
using Vessel.Core;
using Vessel.Core.Validation;

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

    private static QemuLaunch Launch(Dictionary<string, string> config, QemuBoot boot, bool kvm, QemuPaths? paths = null) =>
        QemuLaunch.FromConfig("vm1", config, paths ?? Paths, boot, kvm, Host);

    [Fact]
    public void KernelBoot_TcgDefaults_MatchesGolden()
    {
        AssertGolden("kernel-boot-tcg", Launch([], Kernel, kvm: false));
    }

    [Fact]
    public void KernelBootWithRootDisk_TcgDefaults_MatchesGolden()
    {
        var kernel = Kernel with { CommandLine = "root=/dev/vda rw console=ttyS0 quiet", RootDisk = "/var/lib/vessel/pools/default/virtual-machines/vm1/root.qcow2" };

        AssertGolden("kernel-boot-root-disk-tcg", Launch([], kernel, kvm: false));
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

        AssertGolden("disk-boot-kvm-2cpu-1gib", Launch(new() { ["limits.cpu"] = "2", ["limits.memory"] = "1GiB" }, disk, kvm: true));
    }

    [Fact]
    public void PathsWithCommas_AreEscapedInOptionLists()
    {
        var paths = new QemuPaths("/run/a,b", "/log/a,b/console.log");
        var disk = new DiskBoot("/pool/a,b/root.qcow2", "qcow2");

        AssertGolden("paths-with-commas", Launch([], disk, kvm: false, paths));
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
