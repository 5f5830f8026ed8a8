using System.Diagnostics;
using System.Text;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Storage.Images;
using Xunit.Abstractions;

namespace Vessel.Engines.Qemu.Tests;

/// <summary>Real VMs under QEMU (TCG on this host) through the driver, without a daemon.</summary>
public sealed class QemuDriverTests(BusyboxVmFixture fixture, ITestOutputHelper output) : IClassFixture<BusyboxVmFixture>
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(30);

    private static async Task<TimeSpan> WaitForConsoleAsync(IInstanceDriver driver, InstanceContext context, string text, Stopwatch since)
    {
        while (since.Elapsed < BootTimeout)
        {
            if ((await driver.ReadConsoleLogAsync(context, CancellationToken.None)).Contains(text, StringComparison.Ordinal))
                return since.Elapsed;
            await Task.Delay(20);
        }
        var log = await driver.ReadConsoleLogAsync(context, CancellationToken.None);
        throw new TimeoutException($"\"{text}\" not on the console within {BootTimeout.TotalSeconds} s; console log:\n{log[Math.Max(0, log.Length - 3000)..]}");
    }

    /// <summary>Pids of processes whose command line mentions the path (a QEMU of this test).</summary>
    private static List<int> ProcessesMentioning(string path)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(path, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return found;
    }

    private static InstanceContext WithConfig(InstanceContext context, string key, string value) =>
        context with { Instance = context.Instance with { Config = new Dictionary<string, string>(context.Instance.Config) { [key] = value } } };

    private static List<string> SocketsIn(string directory) =>
        Directory.Exists(directory) ? [.. Directory.EnumerateFiles(directory, "*.sock")] : [];

    [Fact]
    public async Task BusyboxVm_BootsToInit_PausesAndResumes_StopsGracefully_LeavesNothing()
    {
        output.WriteLine($"image built in {fixture.BuildTime.TotalSeconds:0.0} s ({new FileInfo(fixture.ImagePath).Length} bytes)");
        var driver = new QemuDriver();
        var context = fixture.Context("vm-life");
        await driver.CreateAsync(context, CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await driver.StartAsync(context, CancellationToken.None);
        var started = clock.Elapsed;
        var marker = await WaitForConsoleAsync(driver, context, BusyboxVmImage.Marker, clock);
        output.WriteLine($"StartAsync returned after {started.TotalMilliseconds:0} ms; marker on the console after {marker.TotalMilliseconds:0} ms (TCG)");

        var running = await driver.GetStateAsync(context, CancellationToken.None);
        Assert.Equal(InstanceStatus.Running, running.Status);
        Assert.True(running.Usage?.MemoryBytes > 0);
        Assert.NotNull(running.Usage?.CpuSeconds);

        await driver.FreezeAsync(context, CancellationToken.None);
        Assert.Equal("paused", await driver.QueryStatusAsync(context, CancellationToken.None));
        Assert.Equal(InstanceStatus.Frozen, (await driver.GetStateAsync(context, CancellationToken.None)).Status);
        await driver.UnfreezeAsync(context, CancellationToken.None);
        Assert.Equal("running", await driver.QueryStatusAsync(context, CancellationToken.None));

        // A restarted daemon has a new driver: it re-adopts the VM through its QMP socket once the old connection is gone.
        await driver.ReleaseAsync(context.Instance.Name);
        var adopter = new QemuDriver();
        Assert.Equal(InstanceStatus.Running, (await adopter.GetStateAsync(context, CancellationToken.None)).Status);

        var stopped = new List<InstanceStoppedEventArgs>();
        adopter.Stopped += (_, e) => stopped.Add(e);
        clock.Restart();
        await adopter.StopAsync(context, TimeSpan.FromSeconds(15), force: false, CancellationToken.None);
        output.WriteLine($"graceful stop (ACPI power button, busybox acpid → poweroff -f) took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("power button pressed, powering off", await driver.ReadConsoleLogAsync(context, CancellationToken.None), StringComparison.Ordinal);
        Assert.Equal(InstanceStatus.Stopped, (await adopter.GetStateAsync(context, CancellationToken.None)).Status);
        Assert.Empty(stopped); // asked for, not "by itself"
        Assert.Empty(ProcessesMentioning(context.RunDirectory));
        Assert.Empty(SocketsIn(context.RunDirectory));

        await adopter.DeleteAsync(context, CancellationToken.None);
        Assert.False(Directory.Exists(context.RunDirectory));
    }

    [Fact]
    public async Task ForceStop_RunningVm_QuitsWithinOneSecond()
    {
        var driver = new QemuDriver();
        var context = fixture.Context("vm-force");
        await driver.CreateAsync(context, CancellationToken.None);
        await driver.StartAsync(context, CancellationToken.None);

        var clock = Stopwatch.StartNew();
        await driver.StopAsync(context, TimeSpan.FromSeconds(30), force: true, CancellationToken.None);
        output.WriteLine($"force stop (QMP quit) took {clock.ElapsedMilliseconds} ms");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"force stop took {clock.ElapsedMilliseconds} ms");
        Assert.Empty(ProcessesMentioning(context.RunDirectory));
        await driver.DeleteAsync(context, CancellationToken.None);
        Assert.False(Directory.Exists(context.RunDirectory));
    }

    [Fact]
    public async Task Microvm_BootsToInit_RefusesDisplayAndNicHotplug_StopsByItsPowerButton()
    {
        var driver = new QemuDriver();
        var context = fixture.Context("vm-micro", new() { ["limits.memory"] = "256MiB", ["vm.machine"] = "microvm" });
        await driver.CreateAsync(context, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        await driver.StartAsync(context, CancellationToken.None);
        output.WriteLine($"microvm: init reached after {(await WaitForConsoleAsync(driver, context, BusyboxVmImage.Marker, clock)).TotalSeconds:0.00} s");

        var display = await Assert.ThrowsAsync<NotSupportedYetException>(() => driver.AttachDisplayAsync(context, CancellationToken.None));
        Assert.Equal("virtual machine \"vm-micro\" runs on a microvm machine, which has no graphical console yet (q35 has one); use its serial console", display.Message);
        var nic = new NicAttachment("eth1", "eth1", "vsbr0", "10:66:6a:01:02:03", 1500, "vstapmicro");
        var hotplug = await Assert.ThrowsAsync<NotSupportedYetException>(() => driver.AttachNicAsync(context, nic, CancellationToken.None));
        Assert.Equal("a microvm machine has no hotplug: eth1 cannot be added to \"vm-micro\" while it runs; stop it first", hotplug.Message);
        var cpus = await Assert.ThrowsAsync<NotSupportedYetException>(() =>
            driver.ApplyConfigAsync(WithConfig(context, "limits.cpu", "2"), context.Instance.Config, CancellationToken.None));
        Assert.Equal("limits.cpu cannot change while a virtual machine on a microvm machine runs (only q35 has vCPU hotplug); stop it first", cpus.Message);

        await driver.StopAsync(context, TimeSpan.FromSeconds(20), force: false, CancellationToken.None);
        Assert.Contains("power button pressed", await driver.ReadConsoleLogAsync(context, CancellationToken.None));
        Assert.Empty(ProcessesMentioning(context.RunDirectory));
        await driver.DeleteAsync(context, CancellationToken.None);
    }

    [Fact]
    public async Task GuestPowersOff_FromSerialConsole_RaisesStoppedOnce()
    {
        var driver = new QemuDriver();
        var stopped = new TaskCompletionSource<InstanceStoppedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        driver.Stopped += (_, e) =>
        {
            Interlocked.Increment(ref count);
            stopped.TrySetResult(e);
        };
        var context = fixture.Context("vm-console");
        await driver.CreateAsync(context, CancellationToken.None);
        await driver.StartAsync(context, CancellationToken.None);
        await WaitForConsoleAsync(driver, context, BusyboxVmImage.Marker, Stopwatch.StartNew());

        await using (var console = await driver.AttachConsoleAsync(context, CancellationToken.None))
        {
            await console.WriteAsync(Encoding.ASCII.GetBytes("echo vessel-console-$((6*7))\n"));
            await WaitForConsoleAsync(driver, context, "vessel-console-42", Stopwatch.StartNew());
            await console.WriteAsync(Encoding.ASCII.GetBytes("poweroff -f\n"));
            var e = await stopped.Task.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal("vm-console", e.Name);
            Assert.Equal("the guest powered off", e.Reason);
        }

        await Task.Delay(600); // two watch periods: no second event
        Assert.Equal(1, count);
        Assert.Equal(InstanceStatus.Stopped, (await driver.GetStateAsync(context, CancellationToken.None)).Status);
        Assert.Empty(SocketsIn(context.RunDirectory));
        await driver.DeleteAsync(context, CancellationToken.None);
    }

    /// <summary>Typed on a busybox shell: prints 3,000 lines of 60 bytes (180 KB), then vessel-done-TAG-2.</summary>
    private static byte[] PrintLines(string tag) => Encoding.ASCII.GetBytes(
        $"i=0; while [ $i -lt 3000 ]; do echo \"vessel-log-{tag}-$i .........................................\"; i=$((i+1)); done; echo vessel-done-{tag}-$((1+1))\n");

    [Fact]
    public async Task ConsoleLog_GuestPrintsPastTheLimit_StaysBoundedWithTheLatestLines_AlsoWhenItGrewWithoutADaemon()
    {
        const long Limit = 64 << 10;
        var driver = new QemuDriver(consoleLogLimit: Limit);
        var context = fixture.Context("vm-log");
        var log = context.ConsoleLog;
        await driver.CreateAsync(context, CancellationToken.None);
        await driver.StartAsync(context, CancellationToken.None);
        QemuDriver? adopter = null;
        try
        {
            await WaitForConsoleAsync(driver, context, BusyboxVmImage.Marker, Stopwatch.StartNew());
            await using (var console = await driver.AttachConsoleAsync(context, CancellationToken.None))
            {
                _ = console.CopyToAsync(Stream.Null); // an attached client that reads, as vessel console does
                await WaitForConsoleAsync(driver, context, "/ # ", Stopwatch.StartNew());
                var clock = Stopwatch.StartNew();
                await console.WriteAsync(PrintLines("a"));
                await WaitForConsoleAsync(driver, context, "vessel-done-a-2", clock);
                output.WriteLine($"the guest printed 180 KB on its serial console in {clock.ElapsedMilliseconds} ms");
                while (new FileInfo(log).Length > Limit && clock.Elapsed < TimeSpan.FromSeconds(40))
                    await Task.Delay(50); // the next watch tick cuts it
                var kept = await driver.ReadConsoleLogAsync(context, CancellationToken.None);
                Assert.InRange(new FileInfo(log).Length, 1, Limit);
                Assert.Contains("vessel-log-a-2999 .", kept, StringComparison.Ordinal);
                Assert.DoesNotContain("vessel-log-a-0 .", kept, StringComparison.Ordinal);

                // The daemon dies (no driver watches the VM); the guest goes on printing and QEMU keeps writing the log.
                await driver.ReleaseAsync(context.Instance.Name);
                clock.Restart();
                await console.WriteAsync(PrintLines("b"));
                await WaitForConsoleAsync(driver, context, "vessel-done-b-2", clock);
                Assert.True(new FileInfo(log).Length > Limit, $"{new FileInfo(log).Length} bytes");
            }

            // A restarted daemon adopts the VM and cuts the log at once; the console still answers.
            adopter = new QemuDriver(consoleLogLimit: Limit);
            Assert.Equal(InstanceStatus.Running, (await adopter.GetStateAsync(context, CancellationToken.None)).Status);
            Assert.InRange(new FileInfo(log).Length, 1, Limit);
            var after = await adopter.ReadConsoleLogAsync(context, CancellationToken.None);
            Assert.Contains("vessel-log-b-2999 .", after, StringComparison.Ordinal);
            Assert.DoesNotContain("vessel-log-a-2999 .", after, StringComparison.Ordinal);
            await using (var console = await adopter.AttachConsoleAsync(context, CancellationToken.None))
            {
                await console.WriteAsync(Encoding.ASCII.GetBytes("echo vessel-after-$((2+3))\n"));
                await WaitForConsoleAsync(adopter, context, "vessel-after-5", Stopwatch.StartNew());
            }
        }
        finally
        {
            await (adopter ?? driver).StopAsync(context, TimeSpan.Zero, force: true, CancellationToken.None);
        }
        Assert.Empty(ProcessesMentioning(context.RunDirectory));
        await driver.DeleteAsync(context, CancellationToken.None);
    }

    [Fact]
    public async Task LimitsCpu_OnARunningQ35Vm_HotplugsAVcpuTheGuestOnlines_AndTakesItOutAgain()
    {
        if (Environment.ProcessorCount < 2)
            throw new InvalidOperationException("vCPU hotplug needs a host with two CPUs or more (limits.cpu is at most the host's CPUs)");
        var driver = new QemuDriver();
        var context = fixture.Context("vm-cpus", new() { ["limits.memory"] = "256MiB", ["limits.cpu"] = "1" });
        await driver.CreateAsync(context, CancellationToken.None);
        await driver.StartAsync(context, CancellationToken.None);
        try
        {
            await WaitForConsoleAsync(driver, context, BusyboxVmImage.Marker, Stopwatch.StartNew());
            await using var console = await driver.AttachConsoleAsync(context, CancellationToken.None);
            _ = console.CopyToAsync(Stream.Null);
            await WaitForConsoleAsync(driver, context, "/ # ", Stopwatch.StartNew());

            async Task<TimeSpan> SetCpusAsync(string count, string online, string tag)
            {
                var previous = context.Instance.Config;
                context = WithConfig(context, "limits.cpu", count);
                var clock = Stopwatch.StartNew();
                await driver.ApplyConfigAsync(context, previous, CancellationToken.None);
                await console.WriteAsync(Encoding.ASCII.GetBytes(
                    $"while [ $(cat /sys/devices/system/cpu/online) != {online} ]; do sleep 0.05; done; echo vessel-{tag}-$(nproc)-$(cat /sys/devices/system/cpu/online)\n"));
                await WaitForConsoleAsync(driver, context, $"vessel-{tag}-{count}-{online}\r", clock);
                return clock.Elapsed;
            }

            output.WriteLine($"1 → 2 vCPUs, online in the guest after {(await SetCpusAsync("2", "0-1", "up")).TotalMilliseconds:0} ms");
            output.WriteLine($"2 → 1 vCPUs, gone from the guest after {(await SetCpusAsync("1", "0", "down")).TotalMilliseconds:0} ms");

            await driver.FreezeAsync(context, CancellationToken.None);
            var paused = await Assert.ThrowsAsync<ConflictException>(() =>
                driver.ApplyConfigAsync(WithConfig(context, "limits.cpu", "2"), context.Instance.Config, CancellationToken.None));
            Assert.Equal("limits.cpu: virtual machine vm-cpus is paused, and only a running guest can take vCPUs in or let them go; resume it first", paused.Message);
        }
        finally
        {
            await driver.StopAsync(context, TimeSpan.Zero, force: true, CancellationToken.None);
        }
        await driver.DeleteAsync(context, CancellationToken.None);
    }

    [Fact]
    public async Task Start_MemoryBeyondHost_RefusedBeforeQemuRuns()
    {
        var driver = new QemuDriver();
        var context = fixture.Context("vm-huge", new() { ["limits.memory"] = "64TiB" });
        await driver.CreateAsync(context, CancellationToken.None);

        var error = await Assert.ThrowsAsync<BadRequestException>(() => driver.StartAsync(context, CancellationToken.None));

        Assert.StartsWith("limits.memory:", error.Message, StringComparison.Ordinal);
        Assert.Empty(ProcessesMentioning(context.RunDirectory));
    }

    [Fact]
    public async Task Exec_InAGuestWithoutAnAgent_Answers503NamingTheAgent_InsteadOfHanging()
    {
        var driver = new QemuDriver();
        var context = fixture.Context("vm-exec");
        var stopped = await Assert.ThrowsAsync<ConflictException>(() => driver.ExecAsync(context, new ExecRequest { Command = ["true"] }, CancellationToken.None));
        await driver.CreateAsync(context, CancellationToken.None);
        await driver.StartAsync(context, CancellationToken.None);
        try
        {
            await WaitForConsoleAsync(driver, context, BusyboxVmImage.Marker, Stopwatch.StartNew());
            var terminal = await Assert.ThrowsAsync<NotSupportedYetException>(() =>
                driver.ExecAsync(context, new ExecRequest { Command = ["true"], Terminal = true }, CancellationToken.None));
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<VesselException>(() => driver.ExecAsync(context, new ExecRequest { Command = ["true"] }, CancellationToken.None));

            Assert.Equal("virtual machine \"vm-exec\" is not running", stopped.Message);
            Assert.StartsWith("exec -t in virtual machine \"vm-exec\" is not supported yet", terminal.Message, StringComparison.Ordinal);
            Assert.Equal(503, error.StatusCode);
            Assert.StartsWith("the guest agent of virtual machine \"vm-exec\" is unavailable: it did not answer within 10 s", error.Message, StringComparison.Ordinal);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(20));
        }
        finally
        {
            await driver.StopAsync(context, TimeSpan.Zero, force: true, CancellationToken.None);
        }
    }

    /// <summary>A backup's disk whose header reads well but whose tables point past its end (written, then cut) is refused at import.</summary>
    [Fact]
    public async Task Import_ABackupDiskWithDamagedTables_IsRefused()
    {
        var volume = Directory.CreateDirectory(Path.Combine(fixture.Root, "damaged-volume")).FullName;
        var disk = Path.Combine(volume, "root.qcow2");
        foreach (var (program, arguments) in new[] { ("qemu-img", $"create -q -f qcow2 {disk} 64M"), ("qemu-io", $"-c \"write -P 0xab 0 1M\" {disk}") })
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true })!;
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
        }
        await using (var file = File.OpenWrite(disk))
            file.SetLength(400 << 10);
        var archive = Path.Combine(fixture.Root, "damaged-volume.tar");
        await Vessel.Linux.VolumeArchive.WriteAsync(volume, archive, [], CancellationToken.None);
        var context = fixture.Context("vm-damaged");

        var error = await Assert.ThrowsAsync<BadRequestException>(() => new QemuDriver().ImportAsync(context, archive, false, CancellationToken.None));

        Assert.StartsWith("the backup's root.qcow2 is damaged (qemu-img check found corruptions): ERROR", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_QemuInstalled_ReportsVersionAndAcceleration()
    {
        var info = new QemuDriver().Probe();
        output.WriteLine($"{info.Name} {info.Version}: {info.Detail}");

        Assert.True(info.Operational, info.Detail);
        Assert.Contains("QEMU emulator version", info.Version, StringComparison.Ordinal);
    }
}
