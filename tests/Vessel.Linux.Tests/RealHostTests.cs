using Xunit.Abstractions;

namespace Vessel.Linux.Tests;

public sealed class RealHostTests(ITestOutputHelper output)
{
    [Fact]
    public void Run_OnThisHost_GivesEveryCheckADetail_AndEveryProblemAFix()
    {
        var checks = HostProbe.Run();

        foreach (var check in checks)
        {
            output.WriteLine($"{check.Status,-4} {check.Name,-24} {check.Detail}{(check.Fix is null ? "" : $"  [fix: {check.Fix}]")}");
        }

        Assert.Equal(
            ["hardware virtualization", "qemu-system-x86_64", "qemu-system-aarch64", "qemu-img", "genisoimage", "cgroups", "user namespaces",
             "overlayfs", "btrfs", "btrfs-progs", "nftables", "bridge", "tun", "dnsmasq", "mmdebstrap", "systemd"],
            checks.Select(check => check.Name));
        Assert.All(checks, check =>
        {
            Assert.False(string.IsNullOrWhiteSpace(check.Detail));
            Assert.Equal(check.Status != CheckStatus.Ok, !string.IsNullOrWhiteSpace(check.Fix));
        });
    }

    [Fact]
    public void Acceleration_OnThisHost_AgreesWithTheCpuFlags()
    {
        var info = Acceleration.Detect();
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        var hasFlag = flags.Split(' ', '\t').Any(flag => flag is "vmx" or "svm");

        Assert.Equal(hasFlag, info.HardwareVirtualization);
        Assert.Equal(info.HardwareVirtualization && info.KvmDevice, info.UseKvm);
    }
}
