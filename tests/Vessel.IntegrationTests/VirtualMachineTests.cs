using System.Diagnostics;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

/// <summary>A real VM under QEMU (TCG here) from the busybox VM image, through the real CLI.</summary>
public sealed class VirtualMachineTests : IDisposable
{
    private const string Marker = "vessel-busybox-vm: init reached";
    private readonly Host _host = new();

    public VirtualMachineTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private InstanceStatus Status(string name) =>
        JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!.Single(i => i.Name == name).Status;

    private void WaitForConsole(string name, string text) => _host.WaitForConsole(name, text, TimeSpan.FromSeconds(60));

    [Fact]
    public void BusyboxVm_BootsToItsInit_PausesResumesAndStops_LeavingNothing()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("launch", "busybox", "vm1", "--vm", "-c", "limits.memory=256MiB"));

        WaitForConsole("vm1", Marker);
        Assert.Equal(InstanceStatus.Running, Status("vm1"));
        Assert.Contains("Memory: ", _host.Vessel("info", "vm1").Stdout);

        Ok(_host.Vessel("pause", "vm1"));
        Assert.Equal(InstanceStatus.Frozen, Status("vm1"));
        Ok(_host.Vessel("resume", "vm1"));

        Ok(_host.Vessel("stop", "vm1", "--timeout", "20"));
        Assert.Equal(InstanceStatus.Stopped, Status("vm1"));
        Assert.Contains("power button pressed", _host.Vessel("console", "vm1", "--show-log").Stdout);

        Ok(_host.Vessel("start", "vm1"));
        Ok(_host.Vessel("delete", "vm1", "--force"));
        Assert.DoesNotContain(Process.GetProcessesByName("qemu-system-x86_64"),
            p => File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(_host.RunDirectory, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_host.RunDirectory, "instances", "vm1")));
    }

    [Fact]
    public void CopyOfAVmSnapshot_HoldsTheDiskAsTheSnapshotHadIt_AlsoWhileTheSourceRuns()
    {
        var raw = Path.Combine(_host.Root, "disk.raw");
        File.WriteAllBytes(raw, new byte[8 << 20]);
        Ok(_host.Vessel("image", "import", raw, "--vm", "--alias", "blank"));
        Ok(_host.Vessel("launch", "blank", "v1", "--vm", "--network", "none")); // SeaBIOS finds nothing to boot: fine here
        Ok(_host.Vessel("stop", "v1", "--force"));
        var disk = Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", "v1", "root.qcow2");
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 1M 64k", disk));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 1M 64k", disk));
        Ok(_host.Vessel("start", "v1"));

        Ok(_host.Vessel("copy", "v1/s1", "v2"));

        var copy = Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", "v2", "root.qcow2");
        Ok(_host.Run("qemu-io", "-c", "read -P 0x5a 1M 64k", copy));
        Assert.Contains("backing file: ", _host.Run("qemu-img", "info", copy).Stdout, StringComparison.Ordinal);
        Assert.Equal("[]", _host.Vessel("snapshot", "list", "v2", "--format", "json").Stdout.Trim());
        Ok(_host.Vessel("delete", "--force", "v1"));
        Ok(_host.Vessel("delete", "v2"));
    }

    [Fact]
    public void VmBadInput_IsRefused()
    {
        var tooBig = _host.Vessel("launch", "busybox", "vm2", "--vm", "-c", "limits.memory=100TiB");
        Assert.Equal(1, tooBig.ExitCode);
        Assert.StartsWith("Error: limits.memory: 100TiB is out of range", tooBig.Stderr, StringComparison.Ordinal);

        var notTar = Path.Combine(_host.Root, "junk.img");
        File.WriteAllBytes(notTar, new byte[1000]);
        var import = _host.Vessel("image", "import", notTar, "--vm");
        Assert.Equal(1, import.ExitCode);
        Assert.StartsWith("Error: the file is neither a qcow2 disk nor a raw disk", import.Stderr, StringComparison.Ordinal);
    }
}
