using System.Diagnostics;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Xunit.Abstractions;

namespace Vessel.IntegrationTests;

/// <summary>A real VM under QEMU (TCG here) from the busybox VM image, through the real CLI.</summary>
public sealed class VirtualMachineTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private const string Marker = "vessel-busybox-vm: init reached";
    private readonly Host _host = new();

    public VirtualMachineTests(ITestOutputHelper output)
    {
        _output = output;
        _host.StartDaemon();
    }

    /// <summary>A network namespace of the test's (ip netns name) the daemon runs in, removed after it; null for none.</summary>
    private string? _namespace;

    public void Dispose()
    {
        _host.Dispose();
        if (_namespace is not null)
            _host.Run("ip", "netns", "del", _namespace);
    }

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private InstanceStatus Status(string name) =>
        JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!.Single(i => i.Name == name).Status;

    private void WaitForConsole(string name, string text) => _host.WaitForConsole(name, text, TimeSpan.FromSeconds(60));

    /// <summary>
    /// The busybox VM boots to its init; paused for 5 s its clock stands still; it outlives a SIGKILLed daemon, which the next
    /// one adopts (same QEMU, console and graceful stop still work); it stops, also when it ignores the power button (after
    /// --timeout), and is deleted without a trace.
    /// </summary>
    [Fact]
    public void BusyboxVm_BootsToItsInit_PausesResumesAndStops_LeavingNothing()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("launch", "busybox", "vm1", "--vm", "-c", "limits.memory=256MiB"));

        WaitForConsole("vm1", Marker);
        Assert.Equal(InstanceStatus.Running, Status("vm1"));
        Assert.Contains("Memory: ", _host.Vessel("info", "vm1").Stdout);

        // The quotes keep the echoed command line from holding the text waited for.
        _host.TypeOnConsole("vm1", "a=$(cut -d. -f1 /proc/uptime); echo 'before'pause", "beforepause");
        Ok(_host.Vessel("pause", "vm1"));
        Assert.Equal(InstanceStatus.Frozen, Status("vm1"));
        Thread.Sleep(5000);
        Ok(_host.Vessel("resume", "vm1"));
        _host.TypeOnConsole("vm1", "b=$(cut -d. -f1 /proc/uptime); [ $((b - a)) -lt 3 ] && echo 'clock 'stood || echo 'clock 'ran", "clock stood");

        var qemu = File.ReadAllText(Path.Combine(_host.RunDirectory, "instances", "vm1", "qemu.pid")).Trim();
        _host.KillDaemon(9);
        Assert.True(Directory.Exists($"/proc/{qemu}"), "the VM died with the daemon");
        _host.StartDaemon();
        Assert.Equal(InstanceStatus.Running, Status("vm1"));
        Assert.Equal(qemu, File.ReadAllText(Path.Combine(_host.RunDirectory, "instances", "vm1", "qemu.pid")).Trim());
        _host.TypeOnConsole("vm1", "echo 'adopt'ed", "adopted");

        Ok(_host.Vessel("stop", "vm1", "--timeout", "20"));
        Assert.Equal(InstanceStatus.Stopped, Status("vm1"));
        Assert.Contains("power button pressed", _host.Vessel("console", "vm1", "--show-log").Stdout);

        // A guest that ignores the power button is ended once --timeout has passed.
        Ok(_host.Vessel("start", "vm1"));
        _host.TypeOnConsole("vm1", "kill $(pidof acpid); sleep 0.5; pidof acpid || echo 'acpid 'gone", "acpid gone");
        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("stop", "vm1", "--timeout", "2"));
        Assert.InRange(clock.Elapsed.TotalSeconds, 2, 20);
        Assert.Equal(InstanceStatus.Stopped, Status("vm1"));

        Ok(_host.Vessel("start", "vm1"));
        Ok(_host.Vessel("delete", "vm1", "--force"));
        Assert.DoesNotContain(Host.CommandLines("qemu-system-x86_64"), c => c.Contains(_host.RunDirectory, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_host.RunDirectory, "instances", "vm1")));
    }

    /// <summary>A VM of an empty 8 MiB raw disk image: SeaBIOS finds nothing to boot, which is all these tests need.</summary>
    private void LaunchAndStopBlankVm(string name)
    {
        var raw = Path.Combine(_host.Root, "disk.raw");
        if (!File.Exists(raw))
        {
            File.WriteAllBytes(raw, new byte[8 << 20]);
            Ok(_host.Vessel("image", "import", raw, "--vm", "--alias", "blank"));
        }
        Ok(_host.Vessel("launch", "blank", name, "--vm", "--network", "none"));
        Ok(_host.Vessel("stop", name, "--force"));
    }

    private string DiskOf(string name) => Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", name, "root.qcow2");

    private void Holds(string name, string pattern, string range) => Ok(_host.Run("qemu-io", "-r", "-U", "-c", $"read -P {pattern} {range}", DiskOf(name)));

    /// <summary>An export read at 1 MiB/s (curl on the API socket): the file is on its way for seconds. Returns once it is.</summary>
    private Process SlowExport(string name, string file)
    {
        var curl = Process.Start("curl", ["-sSf", "--unix-socket", Path.Combine(_host.RunDirectory, "vessel.sock"), "--limit-rate", "1M", "-o", file,
            $"http://vessel/1.0/instances/{name}/backup?compression=none"]);
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(file) && new FileInfo(file).Length > 0) && clock.Elapsed < TimeSpan.FromSeconds(30))
            Thread.Sleep(20);
        Assert.False(curl.HasExited, "the export was not on its way for long");
        return curl;
    }

    private static void Finish(Process reader)
    {
        Assert.True(reader.WaitForExit(TimeSpan.FromSeconds(60)), "the slow export did not end");
        Assert.Equal(0, reader.ExitCode);
    }

    [Fact]
    public void CopyOfAVmSnapshot_HoldsTheDiskAsTheSnapshotHadIt_AlsoWhileTheSourceRuns()
    {
        LaunchAndStopBlankVm("v1");
        var disk = DiskOf("v1");
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 1M 64k", disk));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 1M 64k", disk));
        Ok(_host.Vessel("start", "v1"));

        Ok(_host.Vessel("copy", "v1/s1", "v2"));

        var copy = DiskOf("v2");
        Ok(_host.Run("qemu-io", "-c", "read -P 0x5a 1M 64k", copy));
        Assert.Contains("backing file: ", _host.Run("qemu-img", "info", copy).Stdout, StringComparison.Ordinal);
        Assert.Equal("[]", _host.Vessel("snapshot", "list", "v2", "--format", "json").Stdout.Trim());
        Ok(_host.Vessel("delete", "--force", "v1"));
        Ok(_host.Vessel("delete", "v2"));
    }

    [Fact]
    public async Task LinkedCopyOfAVmWithA1GiBDisk_TakesUnderASecondAndSharesItsBlocks_AFullCopySharesNothing()
    {
        LaunchAndStopBlankVm("v1");
        Ok(_host.Run("qemu-img", "resize", DiskOf("v1"), "1G"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 0 1G", DiskOf("v1")));
        Ok(_host.Vessel("export", "v1", Path.Combine(_host.Root, "v1.full"))); // starts v1's record of changes
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 0 64k", DiskOf("v1")));

        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("copy", "v1", "v2"));
        _output.WriteLine($"linked copy of a VM with 1 GiB written: {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the linked copy took {clock.Elapsed}");
        // Both go on from one read-only base, linked into each directory; their own disks are empty overlays.
        var bases = Directory.GetFiles(Path.GetDirectoryName(DiskOf("v2"))!, "base-*.qcow2");
        var shared = Assert.Single(bases);
        Assert.Equal("2", _host.Run("stat", "-c", "%h", shared).Stdout.Trim());
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(DiskOf("v1"))!, Path.GetFileName(shared))));
        Assert.True(long.Parse(_host.Run("du", "-k", DiskOf("v2")).Stdout.Split('\t')[0]) < 1024, "the copy's own disk holds data");
        Holds("v2", "0x5a", "0 1G");
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 0 64k", DiskOf("v2")));
        Holds("v1", "0x5a", "0 64k");
        Ok(_host.Vessel("copy", "v1", "v7")); // v1 wrote nothing since: v7 reads the same base
        Assert.Equal("3", _host.Run("stat", "-c", "%h", shared).Stdout.Trim());
        Ok(_host.Vessel("delete", "v7"));
        // Two copies made at once of a source that wrote since take turns on its disk (the second shares the base the first made).
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 0 64k", DiskOf("v1")));
        var together = await Task.WhenAll(Task.Run(() => _host.Vessel("copy", "v1", "v8")), Task.Run(() => _host.Vessel("copy", "v1", "v9")));
        Assert.All(together, Ok);
        Holds("v8", "0x5a", "0 1G");
        Holds("v9", "0x5a", "0 1G");
        Holds("v1", "0x5a", "0 1G");
        Ok(_host.Vessel("delete", "v8", "v9"));
        // What v1 wrote since its export is still in its record of changes, now in its new overlay.
        var increment = Path.Combine(_host.Root, "v1.increment");
        Ok(_host.Vessel("export", "v1", increment, "--incremental"));
        Assert.InRange(new FileInfo(increment).Length, 1, 1 << 20);

        // The source goes on in its overlay: it boots, takes snapshots, and a copy of one of them reads through the base.
        Ok(_host.Vessel("start", "v1"));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Vessel("copy", "v1/s1", "v4"));
        Holds("v4", "0x5a", "0 1G");
        Ok(_host.Vessel("stop", "v1", "--force"));

        // A full copy stands on the image alone; a linked one of a VM with snapshots cannot freeze its disk: it is copied.
        clock.Restart();
        Ok(_host.Vessel("copy", "v1", "v3", "--full"));
        _output.WriteLine($"full copy of the same VM: {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(DiskOf("v3"))!, "base-*.qcow2"));
        Assert.Contains("/images/", _host.Run("qemu-img", "info", DiskOf("v3")).Stdout, StringComparison.Ordinal);
        Holds("v3", "0x5a", "0 1G");
        Ok(_host.Vessel("copy", "v1", "v5"));
        Holds("v5", "0x5a", "0 1G");

        // The base outlives its first instance, and travels in a backup.
        Ok(_host.Vessel("delete", "v1"));
        Holds("v2", "0x6b", "0 64k");
        Holds("v2", "0x5a", "64k 1023M");
        var backup = Path.Combine(_host.Root, "v2.backup");
        Ok(_host.Vessel("export", "v2", backup));
        Ok(_host.Vessel("delete", "v2"));
        Ok(_host.Vessel("import", backup, "v6"));
        Holds("v6", "0x6b", "0 64k");
        Holds("v6", "0x5a", "64k 1023M");
        Ok(_host.Vessel("start", "v6"));
        foreach (var name in new[] { "v3", "v4", "v5", "v6" })
            Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void CopyOfARunningVm_HoldsItsDiskAsItWasThen_LinkedOrFull_AndLeavesNoSnapshotInTheSource()
    {
        LaunchAndStopBlankVm("v1");
        Ok(_host.Run("qemu-img", "resize", DiskOf("v1"), "256M"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 0 256M", DiskOf("v1")));
        // What a copy that a crash cut off leaves behind: dropped by the next copy.
        Ok(_host.Run("qemu-img", "snapshot", "-c", "vessel.copy-0123456789abcdef0123456789abcdef", DiskOf("v1")));
        Ok(_host.Vessel("start", "v1"));

        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("copy", "v1", "v2"));
        _output.WriteLine($"linked copy of a running VM with 256 MiB written: {clock.Elapsed.TotalMilliseconds:0} ms");
        clock.Restart();
        Ok(_host.Vessel("copy", "v1", "v3", "--full"));
        _output.WriteLine($"full copy of the same running VM: {clock.Elapsed.TotalMilliseconds:0} ms");

        Assert.Equal(InstanceStatus.Running, Status("v1"));
        Assert.DoesNotContain("vessel.copy-", _host.Run("qemu-img", "info", "-U", DiskOf("v1")).Stdout, StringComparison.Ordinal);
        Holds("v2", "0x5a", "0 256M");
        Holds("v3", "0x5a", "0 256M");
        Assert.Contains("/images/", _host.Run("qemu-img", "info", DiskOf("v3")).Stdout, StringComparison.Ordinal);
        Assert.Equal("[]", _host.Vessel("snapshot", "list", "v2", "--format", "json").Stdout.Trim());
        // The copies run beside their source, each on a disk of its own.
        Ok(_host.Vessel("start", "v2"));
        Ok(_host.Vessel("start", "v3"));

        // Stopped, a source whose crash left a temporary snapshot still becomes a shared base.
        Ok(_host.Vessel("stop", "v1", "--force"));
        Ok(_host.Run("qemu-img", "snapshot", "-c", "vessel.copy-0123456789abcdef0123456789abcdef", DiskOf("v1")));
        Ok(_host.Vessel("copy", "v1", "v4"));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(DiskOf("v4"))!, "base-*.qcow2"));
        Holds("v4", "0x5a", "0 256M");
        foreach (var name in new[] { "v1", "v2", "v3", "v4" })
            Ok(_host.Vessel("delete", "--force", name));
    }

    /// <summary>The blocks of the qcow2 overlay: what the guest wrote, and what a snapshot keeps of what was overwritten since.</summary>
    [Fact]
    public void DiskUsage_GrowsByWhatIsWritten_AndByWhatASnapshotKeeps_RunningOrStopped()
    {
        LaunchAndStopBlankVm("v1");
        Ok(_host.Vessel("config", "device", "add", "v1", "root", "disk", "path=/", "pool=default", "size=128MiB"));
        var fresh = _host.DiskBytes("v1")!.Value;
        Assert.InRange(fresh, 1, 2 << 20);

        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 0 64M", DiskOf("v1")));
        var written = _host.DiskBytes("v1")!.Value;
        Assert.InRange(written - fresh, 64L << 20, 65L << 20);

        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 0 64M", DiskOf("v1"))); // copied on write: the snapshot keeps the old clusters
        Assert.InRange(_host.DiskBytes("v1")!.Value - written, 64L << 20, 65L << 20);

        Ok(_host.Vessel("start", "v1"));
        var state = JsonSerializer.Deserialize(_host.Api("/1.0/instances/v1/state"), VesselJson.Wire.InstanceStateView)!;
        Assert.NotNull(state.Usage?.MemoryBytes);
        Assert.InRange(state.Usage!.DiskBytes!.Value, written + (64L << 20), written + (66L << 20));
        Assert.Matches("vessel_instance_disk_bytes\\{name=\"v1\",type=\"virtual-machine\"\\} [0-9]+\n", _host.Api("/1.0/metrics"));
        Ok(_host.Vessel("delete", "--force", "v1"));
    }

    [Fact]
    public void PublishOfARunningVmsSnapshot_IsAnImageOfTheDiskAsTheSnapshotHadIt_AndOfTheRunningVmIsRefusedAtOnce()
    {
        LaunchAndStopBlankVm("v1");
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 1M 64k", DiskOf("v1")));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 1M 64k", DiskOf("v1")));
        Ok(_host.Vessel("start", "v1"));
        var operations = _host.Operations().Count;

        var whole = _host.Vessel("publish", "v1");
        Assert.Equal(1, whole.ExitCode);
        Assert.StartsWith("Error: instance \"v1\" is Running; stop it to publish it, or publish one of its snapshots", whole.Stderr, StringComparison.Ordinal);
        Assert.Equal(operations, _host.Operations().Count); // refused before an operation began

        Ok(_host.Vessel("publish", "v1/s1", "--alias", "from-s1"));
        Ok(_host.Vessel("launch", "from-s1", "v2", "--vm", "--network", "none"));
        Ok(_host.Vessel("stop", "v2", "--force"));
        Holds("v2", "0x5a", "1M 64k");
        Assert.Equal(InstanceStatus.Running, Status("v1"));
        foreach (var name in new[] { "v1", "v2" })
            Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void SnapshotRestore_GrowsTheDiskBackToTheConfiguredRootSize_StoppedOrStateful()
    {
        LaunchAndStopBlankVm("v1");
        long VirtualSize() => JsonDocument.Parse(_host.Run("qemu-img", "info", "-U", "--output=json", DiskOf("v1")).Stdout).RootElement
            .GetProperty("virtual-size").GetInt64();
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 1M 64k", DiskOf("v1")));
        Ok(_host.Vessel("snapshot", "create", "v1", "s1"));
        Ok(_host.Vessel("config", "device", "add", "v1", "root", "disk", "path=/", "pool=default", "size=64MiB"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 1M 64k", DiskOf("v1")));

        Ok(_host.Vessel("snapshot", "restore", "v1", "s1"));
        Assert.Equal(64L << 20, VirtualSize());
        Holds("v1", "0x5a", "1M 64k");

        // A stateful snapshot is loaded into the running VM, which then sees its disk grow back.
        Ok(_host.Vessel("start", "v1"));
        Ok(_host.Vessel("snapshot", "create", "v1", "s2", "--stateful"));
        Ok(_host.Vessel("config", "device", "set", "v1", "root", "size=96MiB"));
        Ok(_host.Vessel("snapshot", "restore", "v1", "s2"));
        Assert.Equal(InstanceStatus.Running, Status("v1"));
        Assert.Equal(96L << 20, VirtualSize());
        Ok(_host.Vessel("delete", "--force", "v1"));
    }

    [Fact]
    public void AnIncrementOfAGrownDisk_GrowsTheDiskItIsAppliedTo_AndOneOfASmallerDiskIsRefused()
    {
        LaunchAndStopBlankVm("v1");
        var whole = Path.Combine(_host.Root, "whole");
        Ok(_host.Vessel("export", "v1", whole));
        Ok(_host.Vessel("import", whole, "v2"));
        Ok(_host.Vessel("config", "device", "add", "v1", "root", "disk", "path=/", "pool=default", "size=64MiB"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x5a 40M 64k", DiskOf("v1")));
        var increment = Path.Combine(_host.Root, "increment");
        Ok(_host.Vessel("export", "v1", increment, "--incremental"));

        Ok(_host.Vessel("import", increment, "v2"));
        Holds("v2", "0x5a", "40M 64k");
        Assert.Equal(64L << 20, JsonDocument.Parse(_host.Run("qemu-img", "info", "--output=json", DiskOf("v2")).Stdout).RootElement
            .GetProperty("virtual-size").GetInt64());
        Assert.Contains("size=64MiB", _host.Vessel("config", "device", "list", "v2").Stdout, StringComparison.Ordinal);

        // v2's disk grew beyond v1's: the next increment would shrink it.
        Ok(_host.Vessel("config", "device", "set", "v2", "root", "size=128MiB"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x6b 41M 64k", DiskOf("v1")));
        Ok(_host.Vessel("export", "v1", increment, "--incremental"));
        var refused = _host.Vessel("import", increment, "v2");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("a disk never shrinks", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("vessel-before-increment", _host.Run("qemu-img", "info", DiskOf("v2")).Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("start", "v2"));
        foreach (var name in new[] { "v1", "v2" })
            Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void WritesMadeWhileAnExportIsOnItsWay_AreInTheNextIncrement_WhetherTheVmRunsMeanwhileOrNot()
    {
        LaunchAndStopBlankVm("v1");
        Ok(_host.Vessel("export", "v1", Path.Combine(_host.Root, "first"))); // starts v1's record of changes

        var whole = Path.Combine(_host.Root, "whole");
        using (var reader = SlowExport("v1", whole))
        {
            Ok(_host.Run("qemu-io", "-c", "write -P 0x33 2M 64k", DiskOf("v1")));
            Finish(reader);
        }
        var increment = Path.Combine(_host.Root, "increment");
        Ok(_host.Vessel("export", "v1", increment, "--incremental"));
        Ok(_host.Vessel("import", whole, "v2"));
        Ok(_host.Vessel("import", increment, "v2"));
        Holds("v2", "0x33", "2M 64k");

        // Started while its export was on its way: the record moves over inside the running QEMU.
        var wholeAgain = Path.Combine(_host.Root, "whole-again");
        using (var reader = SlowExport("v1", wholeAgain))
        {
            Ok(_host.Vessel("start", "v1"));
            Finish(reader);
        }
        Ok(_host.Vessel("stop", "v1", "--force"));
        Ok(_host.Run("qemu-io", "-c", "write -P 0x44 3M 64k", DiskOf("v1")));
        Ok(_host.Vessel("export", "v1", increment, "--incremental"));
        Ok(_host.Vessel("import", wholeAgain, "v3"));
        Ok(_host.Vessel("import", increment, "v3"));
        Holds("v3", "0x44", "3M 64k");
        foreach (var name in new[] { "v1", "v2", "v3" })
            Ok(_host.Vessel("delete", name));
    }

    [Fact]
    public void RootDiskSize_GrowsTheDisk_StoppedOrLive_AndNeverShrinksIt()
    {
        LaunchAndStopBlankVm("v1");
        long VirtualSize() => JsonDocument.Parse(_host.Run("qemu-img", "info", "-U", "--output=json", DiskOf("v1")).Stdout).RootElement
            .GetProperty("virtual-size").GetInt64();

        Ok(_host.Vessel("config", "device", "add", "v1", "root", "disk", "path=/", "pool=default", "size=64MiB"));
        Assert.Equal(64L << 20, VirtualSize());
        var shrink = _host.Vessel("config", "device", "set", "v1", "root", "size=32MiB");
        Assert.Equal(1, shrink.ExitCode);
        Assert.Contains("shrinking would cut off its data", shrink.Stderr, StringComparison.Ordinal);
        Assert.Contains("size=64MiB", _host.Vessel("config", "device", "list", "v1").Stdout, StringComparison.Ordinal);
        var odd = _host.Vessel("config", "device", "set", "v1", "root", "size=1000001B");
        Assert.Equal(1, odd.ExitCode);
        Assert.Contains("a whole number of 512-byte sectors", odd.Stderr, StringComparison.Ordinal);

        Ok(_host.Vessel("start", "v1"));
        Ok(_host.Vessel("config", "device", "set", "v1", "root", "size=128MiB"));
        Assert.Equal(128L << 20, VirtualSize());
        Ok(_host.Vessel("delete", "v1", "--force"));
    }

    [Fact]
    public void LimitsCpu_SetOnARunningVm_HotplugsVcpusTheGuestSees()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("launch", "busybox", "vm3", "--vm", "-c", "limits.memory=256MiB", "-c", "limits.cpu=1"));
        WaitForConsole("vm3", "/ # ");

        Ok(_host.Vessel("config", "set", "vm3", "limits.cpu=2"));
        _host.TypeOnConsole("vm3", "while [ $(cat /sys/devices/system/cpu/online) != 0-1 ]; do sleep 0.05; done; echo vessel-cpus-$(nproc)-$(cat /sys/devices/system/cpu/online)",
            "vessel-cpus-2-0-1");
        Assert.Equal("2", _host.Vessel("config", "get", "vm3", "limits.cpu").Stdout.Trim());

        Ok(_host.Vessel("config", "set", "vm3", "limits.cpu=1"));
        _host.TypeOnConsole("vm3", "echo vessel-cpus-$(nproc)-$(cat /sys/devices/system/cpu/online)", "vessel-cpus-1-0\r");

        var tooMany = _host.Vessel("config", "set", "vm3", $"limits.cpu={Environment.ProcessorCount + 1}");
        Assert.Equal(1, tooMany.ExitCode);
        Assert.StartsWith("Error: limits.cpu:", tooMany.Stderr, StringComparison.Ordinal);
        Assert.Equal("1", _host.Vessel("config", "get", "vm3", "limits.cpu").Stdout.Trim());
        Ok(_host.Vessel("delete", "vm3", "--force"));
    }

    /// <summary>
    /// Makes a raw disk that boots like a PC's: an MBR partition table with syslinux's boot code, one active ext4 partition
    /// with EXTLINUX installed in it (it names itself SYSLINUX on the console), which loads KERNEL and INITRD from /boot with CMDLINE, its menu also on the serial line.
    /// Arguments: KERNEL INITRD CMDLINE DISK. Host tools only (sfdisk, losetup, mkfs.ext4, extlinux, syslinux's mbr.bin).
    /// </summary>
    private const string MakeBootableDisk = """
        set -eu
        kernel=$1 initrd=$2 cmdline=$3 disk=$4
        mnt=$(mktemp -d)
        truncate -s 48M "$disk"
        echo 'start=2048, type=83, bootable' | sfdisk -q "$disk"
        loop=$(losetup --find --show --offset $((2048 * 512)) "$disk")
        trap 'umount "$mnt" 2>/dev/null || true; losetup -d "$loop"; rmdir "$mnt"' EXIT
        mkfs.ext4 -q "$loop"
        mount "$loop" "$mnt"
        mkdir "$mnt/boot"
        cp "$kernel" "$mnt/boot/vmlinuz"
        cp "$initrd" "$mnt/boot/initrd.img"
        printf 'SERIAL 0 115200\nDEFAULT vessel\nLABEL vessel\n  LINUX /boot/vmlinuz\n  INITRD /boot/initrd.img\n  APPEND %s\n' "$cmdline" > "$mnt/boot/extlinux.conf"
        extlinux --install "$mnt/boot" 2>/dev/null
        umount "$mnt"
        dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
        """;

    [Fact]
    public void RawDiskWithItsOwnBootloader_ImportedAndLaunched_BootsThroughExtlinuxToInit()
    {
        // The busybox VM image's kernel and initramfs, put on a disk behind a real bootloader.
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        var kernelImage = Directory.EnumerateFiles(Path.Combine(_host.StateDirectory, "images"), "kernel.tar", SearchOption.AllDirectories).Single();
        var work = Directory.CreateDirectory(Path.Combine(_host.Root, "bootdisk")).FullName;
        Ok(_host.Run("tar", "-xf", kernelImage, "-C", work));
        var disk = Path.Combine(work, "disk.raw");
        Ok(_host.Run("bash", "-c", MakeBootableDisk, "make-bootable-disk", Path.Combine(work, "vmlinuz"), Path.Combine(work, "initrd.img"), "console=ttyS0", disk));

        Ok(_host.Vessel("image", "import", disk, "--vm", "--alias", "bootdisk"));
        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("launch", "bootdisk", "disk1", "--vm", "-c", "limits.memory=256MiB"));
        WaitForConsole("disk1", Marker);
        var log = _host.Vessel("console", "disk1", "--show-log").Stdout;
        Assert.Matches(@"SYSLINUX 6\.\d+[\s\S]*Linux version [\s\S]*Command line: BOOT_IMAGE=/boot/vmlinuz console=ttyS0[\s\S]*" + Marker, log);
        _output.WriteLine($"disk boot through SeaBIOS, MBR and EXTLINUX: launch to init marker {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Contains("Machine: q35 (qemu-system-x86_64, ", _host.Vessel("info", "disk1").Stdout);

        Ok(_host.Vessel("stop", "disk1", "--timeout", "20"));
        Assert.Equal(InstanceStatus.Stopped, Status("disk1"));
        Ok(_host.Vessel("delete", "disk1"));
    }

    private static void Refused(CliResult result, string error)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error: {error}", result.Stderr.Trim(), StringComparison.Ordinal);
    }

    private string BusyboxKernelImage() => Directory.GetFiles(Path.Combine(_host.StateDirectory, "images"), "kernel.tar", SearchOption.AllDirectories).Single();

    /// <summary>
    /// The busybox image's kernel and initramfs, imported as two files with a command line, make an image that boots to the
    /// init; given the other way round, they are refused.
    /// </summary>
    [Fact]
    public void KernelAndInitramfs_ImportedAsAPair_BootToTheInit()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        var files = Path.Combine(_host.Root, "pair");
        Directory.CreateDirectory(files);
        Ok(_host.Run("tar", "-xf", BusyboxKernelImage(), "-C", files));
        var (kernel, initrd) = (Path.Combine(files, "vmlinuz"), Path.Combine(files, "initrd.img"));
        using var metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(files, "metadata.json")));
        var commandLine = metadata.RootElement.GetProperty("cmdline").GetString()!;

        Refused(_host.Vessel("image", "import", "--kernel", initrd, "--initrd", kernel),
            "the kernel is not an x86_64 Linux kernel: it has no bzImage boot header (\"HdrS\" at 0x202)");
        var usage = _host.Vessel("image", "import", "--kernel", kernel);
        Assert.Equal(2, usage.ExitCode);
        Assert.StartsWith("Error: --kernel and --initrd come together", usage.Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("image", "import", "--kernel", kernel, "--initrd", initrd, "--cmdline", commandLine, "--alias", "pair"));
        Assert.Contains("Format: kernel+initrd\n", _host.Vessel("image", "show", "pair", "--vm").Stdout);

        Ok(_host.Vessel("launch", "pair", "p1", "--vm", "-c", "limits.memory=256MiB"));
        WaitForConsole("p1", Marker);
        Ok(_host.Vessel("stop", "p1", "--force"));
        Ok(_host.Vessel("delete", "p1"));
    }

    private IEnumerable<string> QemuOfThisDaemon() =>
        Host.CommandLines("qemu-system-x86_64").Where(c => c.Contains(_host.RunDirectory, StringComparison.Ordinal));

    /// <summary>
    /// A start that fails says why and leaves no QEMU, socket, seed disk or tap: the root disk is no qcow2 (QEMU refuses it),
    /// or is gone. A kernel image whose unpacked kernel went missing is unpacked again, and boots.
    /// </summary>
    [Fact]
    public void AStartThatFails_SaysWhy_AndLeavesNoQemuSocketOrTap()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        var blank = Path.Combine(_host.Root, "blank.qcow2");
        Ok(_host.Run("qemu-img", "create", "-q", "-f", "qcow2", blank, "16M"));
        Ok(_host.Vessel("image", "import", blank, "--vm", "--alias", "blank"));
        // The daemon moves into a network namespace of the test's, where its taps are made.
        _host.KillDaemon(15);
        _namespace = $"vit-fail-{Environment.ProcessId}";
        Ok(_host.Run("ip", "netns", "add", _namespace));
        _host.NetworkNamespace = _namespace;
        _host.StartDaemon();
        Ok(_host.Vessel("network", "create", "nf", "ipv4.address=10.84.0.1/24"));
        string Taps() => _host.Run("ip", "-n", _namespace, "-o", "link", "show", "type", "tun").Stdout;

        Ok(_host.Vessel("launch", "busybox", "k1", "--vm", "--network", "nf", "-c", "limits.memory=256MiB"));
        WaitForConsole("k1", Marker);
        Ok(_host.Vessel("stop", "k1", "--force"));
        var unpackedKernel = Path.Combine(Path.GetDirectoryName(BusyboxKernelImage())!, "kernel", "vmlinuz");
        File.Delete(unpackedKernel);
        Ok(_host.Vessel("start", "k1"));
        Assert.True(File.Exists(unpackedKernel));
        Ok(_host.Vessel("stop", "k1", "--force"));
        Ok(_host.Vessel("delete", "k1"));

        Ok(_host.Vessel("launch", "blank", "d1", "--vm", "--network", "nf", "-c", "limits.memory=256MiB"));
        Ok(_host.Vessel("stop", "d1", "--force"));
        var disk = Path.Combine(_host.StateDirectory, "pools", "default", "virtual-machines", "d1", "root.qcow2");
        var runDirectory = Path.Combine(_host.RunDirectory, "instances", "d1");
        void AssertNothingRuns()
        {
            Assert.Equal(InstanceStatus.Stopped, Status("d1"));
            Assert.Empty(QemuOfThisDaemon());
            Assert.Empty(Directory.Exists(runDirectory) ? Directory.GetFiles(runDirectory) : []);
            Assert.Equal("", Taps());
        }

        File.WriteAllBytes(disk, new byte[1 << 20]);
        Refused(_host.Vessel("start", "d1"), $"QEMU did not start virtual machine d1: qemu-system-x86_64: -drive file={disk},format=qcow2," +
            "if=none,id=root,discard=unmap: Image is not in qcow2 format");
        AssertNothingRuns();

        File.Delete(disk);
        Refused(_host.Vessel("start", "d1"), $"the root disk {disk} is missing");
        AssertNothingRuns();
        Ok(_host.Vessel("delete", "d1"));
    }

    /// <summary>A host without QEMU runs no VM: a launch says what to install, and nothing is made.</summary>
    [Fact]
    public void AHostWithoutQemu_RefusesVirtualMachines_NamingThePackage()
    {
        Ok(_host.Vessel("image", "build", "busybox", "--vm"));
        Ok(_host.Vessel("image", "build", "busybox"));
        _host.KillDaemon(15);
        _host.HiddenPrograms = ["/usr/bin/qemu-system-x86_64"];
        _host.StartDaemon();

        Refused(_host.Vessel("launch", "busybox", "v1", "--vm"),
            "virtual-machine instances cannot run on this host: qemu-system-x86_64 not found; install qemu-system-x86");
        Assert.Equal("[]", _host.Vessel("list", "--format", "json").Stdout.Trim());
        Ok(_host.Vessel("launch", "busybox", "c1"));
        Ok(_host.Vessel("delete", "c1", "--force"));
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
