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

    private void WaitForConsole(string name, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!_host.Vessel("console", name, "--show-log").Stdout.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"\"{text}\" not on the console of {name} after 60 s");
            Thread.Sleep(200);
        }
    }

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
    public void LimitsCpu_SetOnARunningVm_HotplugsVcpusTheGuestSees()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("launch", "busybox", "vm3", "--vm", "-c", "limits.memory=256MiB", "-c", "limits.cpu=1"));
        WaitForConsole("vm3", "/ # ");

        Ok(_host.Vessel("config", "set", "vm3", "limits.cpu=2"));
        _host.VesselWith("while [ $(cat /sys/devices/system/cpu/online) != 0-1 ]; do sleep 0.05; done; echo vessel-cpus-$(nproc)-$(cat /sys/devices/system/cpu/online)\n", TimeSpan.FromSeconds(30), "console", "vm3");
        WaitForConsole("vm3", "vessel-cpus-2-0-1");
        Assert.Equal("2", _host.Vessel("config", "get", "vm3", "limits.cpu").Stdout.Trim());

        Ok(_host.Vessel("config", "set", "vm3", "limits.cpu=1"));
        _host.VesselWith("echo vessel-cpus-$(nproc)-$(cat /sys/devices/system/cpu/online)\n", TimeSpan.FromSeconds(30), "console", "vm3");
        WaitForConsole("vm3", "vessel-cpus-1-0\r");

        var tooMany = _host.Vessel("config", "set", "vm3", $"limits.cpu={Environment.ProcessorCount + 1}");
        Assert.Equal(1, tooMany.ExitCode);
        Assert.StartsWith("Error: limits.cpu:", tooMany.Stderr, StringComparison.Ordinal);
        Assert.Equal("1", _host.Vessel("config", "get", "vm3", "limits.cpu").Stdout.Trim());
        Ok(_host.Vessel("delete", "vm3", "--force"));
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
