using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

/// <summary>Real system containers from the busybox image, driven through the real CLI.</summary>
public sealed class ContainerTests : IClassFixture<ContainerTests.BusyboxHost>
{
    /// <summary>One daemon with the busybox image built, shared by the tests of this class.</summary>
    public sealed class BusyboxHost : IDisposable
    {
        public Host Host { get; } = new();

        public BusyboxHost()
        {
            Host.StartDaemon();
            var build = Host.Vessel("image", "build", "busybox");
            Assert.True(build.ExitCode == 0, build.ToString());
        }

        public void Dispose() => Host.Dispose();
    }

    private readonly Host _host;

    public ContainerTests(BusyboxHost fixture) => _host = fixture.Host;

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private string Launch(params string[] options)
    {
        var name = "c" + Guid.NewGuid().ToString("N")[..8];
        Ok(_host.Vessel(["launch", "busybox", name, .. options]));
        return name;
    }

    private CliResult Exec(string name, string script) => _host.Vessel("exec", name, "--", "sh", "-c", script);

    private Instance Info(string name) =>
        JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!.Single(i => i.Name == name);

    private int InitPid(string name) =>
        int.Parse(_host.Vessel("info", name).Stdout.Split('\n').Single(l => l.StartsWith("PID: ", StringComparison.Ordinal))[5..], CultureInfo.InvariantCulture);

    [Fact]
    public void Exec_PassesOutputAndExitCodes_InsideItsOwnNamespaces_WithItsOptions()
    {
        var name = Launch();

        var result = Exec(name, "echo out; echo err >&2; hostname; id -u; exit 7");
        Assert.Equal(7, result.ExitCode);
        Assert.Equal($"out\n{name}\n0\n", result.Stdout);
        Assert.Equal("err\n", result.Stderr);

        var processes = Exec(name, "ps -o pid,comm | tail -n +2").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1 init", processes[0].Trim());
        Assert.True(processes.Length < 6, $"the container sees host processes: {string.Join(" | ", processes)}");

        var mountPoints = Exec(name, "cut -d' ' -f2 /proc/mounts").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(mountPoints, m => m.StartsWith(_host.Root, StringComparison.Ordinal) || m.StartsWith("/work", StringComparison.Ordinal));
        Assert.Contains("/proc", mountPoints);

        var stdin = _host.Run("/bin/sh", "-c", $"echo piped | {Binaries.Vessel} exec {name} -- cat");
        Assert.Equal("piped\n", stdin.Stdout);

        var options = _host.Vessel("exec", name, "--env", "GREETING=hi", "--cwd", "/tmp", "--user", "1000", "--", "sh", "-c", "echo $GREETING; pwd; id -u");
        Assert.Equal("hi\n/tmp\n1000\n", options.Stdout);
        var terminal = _host.Vessel("exec", name, "-t", "--", "sh", "-c", "tty; exit 3");
        Assert.Equal(3, terminal.ExitCode);
        Assert.StartsWith("/dev/pts/", terminal.Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void CloudInitKeys_BecomeTheNoCloudSeed_ReadableByTheContainersRootOnly()
    {
        var name = Launch("-c", "cloud-init.user-data=#cloud-config\nruncmd: [true]\n", "-c", "cloud-init.network-config=version: 2\n");

        Assert.Equal("#cloud-config\nruncmd: [true]\n", Exec(name, "cat /var/lib/cloud/seed/nocloud-net/user-data").Stdout);
        Assert.Contains($"local-hostname: {name}\n", Exec(name, "cat /var/lib/cloud/seed/nocloud-net/meta-data").Stdout, StringComparison.Ordinal);
        Assert.Equal("600 0\n", Exec(name, "stat -c '%a %u' /var/lib/cloud/seed/nocloud-net/network-config").Stdout);
        Assert.StartsWith("Error: cloud-init.user-data: cloud-init would ignore this",
            _host.Vessel("config", "set", name, "cloud-init.user-data=runcmd: [true]").Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void Publish_MakesAnImageOfWhatTheContainerSees_WithItsOwnOwners_AndItsDeletionsKept()
    {
        var name = Launch();
        Ok(Exec(name, "echo published > /root/mark && chown 5:6 /root/mark && rm /bin/vi && mkdir -p /srv/new"));
        Ok(_host.Vessel("stop", name, "--force"));
        var alias = $"tpl-{name}";
        Ok(_host.Vessel("publish", name, "--alias", alias));

        var copy = "p" + name[1..];
        Ok(_host.Vessel("launch", alias, copy));
        Assert.Equal("published\n5 6\n", Exec(copy, "cat /root/mark && stat -c '%u %g' /root/mark").Stdout);
        Assert.Equal("gone\n", Exec(copy, "test -e /bin/vi || echo gone").Stdout);
        Assert.Equal("0 0\n", Exec(copy, "stat -c '%u %g' /srv/new").Stdout);
        Assert.StartsWith("Error: instance \"" + copy + "\" is Running; stop it to publish it", _host.Vessel("publish", copy).Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "--force", copy, name));
        Ok(_host.Vessel("image", "delete", alias));
    }

    [Fact]
    public void Processes_StartWithNoSignalIgnoredOrBlocked_SoAPipeClosesAsInAShell()
    {
        var name = Launch();
        // grep itself, not through busybox sh, which ignores SIGQUIT for what it runs as it does on any host.
        Assert.Equal("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n",
            _host.Vessel("exec", name, "--", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status").Stdout);
        Assert.Equal("SigIgn:\t0000000000000000\n", _host.Vessel("exec", name, "--", "grep", "^SigIgn", "/proc/1/status").Stdout);
        Assert.Equal("y\ny\n", Exec(name, "yes | head -n 2").Stdout); // yes ends by SIGPIPE
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void Files_PushAndPull_InsideTheContainerOnly_RegularFilesOnly()
    {
        var name = Launch();
        var local = Path.Combine(_host.Root, $"{name}.txt");
        File.WriteAllText(local, "pushed\n");

        Ok(_host.Vessel("file", "push", local, $"{name}/root/new.txt", "--mode", "640", "--uid", "1000", "--gid", "100"));
        Ok(_host.Vessel("file", "push", local, $"{name}/etc/hostname"));
        Assert.Equal("640 1000 100\npushed\n", Exec(name, "stat -c '%a %u %g' /root/new.txt; cat /root/new.txt").Stdout);
        Assert.Equal("pushed\n", Exec(name, "cat /etc/hostname").Stdout);
        var back = Path.Combine(_host.Root, $"{name}.back");
        Ok(_host.Vessel("file", "pull", $"{name}/root/new.txt", back));
        Assert.Equal("pushed\n", File.ReadAllText(back));

        // A link to an absolute path resolves inside the container's root, not the host's.
        var hostOnly = Path.Combine(_host.Root, "host-only");
        File.WriteAllText(hostOnly, "host\n");
        Ok(Exec(name, $"ln -s {hostOnly} /root/link && mkfifo /root/fifo"));
        var outside = _host.Vessel("file", "pull", $"{name}/root/link", back);
        Assert.Equal(1, outside.ExitCode);
        Assert.Equal($"Error: /root/link: no such file in container \"{name}\"\n", outside.Stderr);
        foreach (var special in new[] { "/root/fifo", "/dev/null" })
        {
            var refused = _host.Vessel("file", "pull", $"{name}{special}", back);
            Assert.Equal($"Error: {special} in container \"{name}\": not a regular file\n", refused.Stderr);
        }
        var tooHigh = _host.Vessel("file", "push", local, $"{name}/root/x", "--uid", "70000");
        Assert.StartsWith($"Error: uid and gid: 70000:0 is outside container \"{name}\"'s ids", tooHigh.Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void UnprivilegedContainer_RunsAsAMappedUser_WithDefaultCapabilitiesAndSeccomp()
    {
        var name = Launch();
        var status = File.ReadAllLines($"/proc/{InitPid(name)}/status").ToDictionary(l => l.Split(':')[0], l => l.Split(':', 2)[1].Trim());

        Assert.StartsWith("1000000", status["Uid"], StringComparison.Ordinal);
        Assert.Equal("00000000a80425fb", status["CapBnd"]);
        Assert.Equal("00000000a80425fb", status["CapEff"]);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("2", status["Seccomp"]);
        var devices = File.ReadAllText(Path.Combine("/sys/fs/cgroup/devices", _host.CgroupRoot, name, "devices.list"));
        Assert.Contains("c 1:3 rwm", devices);
        Assert.DoesNotContain("a *:* rwm", devices);
        Ok(_host.Vessel("delete", "--force", name));
    }

    /// <summary>
    /// Each probe would succeed for root on the host, or in a container without the protection it names; it has to fail
    /// with the error that protection gives, not merely fail (a probe that fails for any other reason proves nothing).
    /// Busybox has no keyctl or ptrace: the Debian container test calls those syscalls with perl, which Debian always has.
    /// </summary>
    [Fact]
    public void EscapeProbes_AllFail()
    {
        var name = Launch();
        using var hostSleep = Process.Start("sleep", "301")!;
        try
        {
            var probes = new List<(string Probe, string Script, string Refusal)>
            {
                ("mount (no CAP_SYS_ADMIN)", "mount -t tmpfs none /mnt", "permission denied"),
                ("bind mount (no CAP_SYS_ADMIN)", "mount --bind / /mnt", "permission denied"),
                ("sethostname (no CAP_SYS_ADMIN)", "hostname escaped", "Operation not permitted"),
                ("write /proc/sys (read-only)", "echo escaped > /proc/sys/kernel/hostname", "Read-only file system"),
                ("write /sys (read-only mount)", "echo 1 > /sys/kernel/mm/ksm/run", "Read-only file system"),
                ("mknod a block device (user namespace)", "mknod /tmp/sda b 8 0", "Operation not permitted"),
                ("nested user namespace (seccomp)", "unshare -U -r true", "Operation not permitted"),
                ("new mount namespace (seccomp)", "unshare -m true", "Operation not permitted"),
                // On the host: "invalid module format", or ENOSYS on a kernel without modules, as here.
                ("load a module (seccomp)", "insmod /bin/busybox", "Operation not permitted"),
                ("kill a host process (pid namespace)", $"kill -9 {hostSleep.Id}", "No such process"),
                ("change time (no CAP_SYS_TIME)", "date -s 2000-01-01 >/dev/null && [ $(date +%Y) = 2000 ]", "Operation not permitted"),
            };
            // Masked with /dev/null: reads as empty. This machine's kernel has no /proc/kcore at all.
            if (File.Exists("/proc/kcore"))
                probes.Add(("read kernel memory (masked)", "[ $(head -c 1 /proc/kcore | wc -c) = 1 ]", ""));
            var report = new List<string>();
            foreach (var (probe, script, refusal) in probes)
            {
                var result = Exec(name, script);
                if (result.ExitCode == 0 || !result.Stderr.Contains(refusal, StringComparison.Ordinal))
                    report.Add($"{probe}: {result}");
            }
            Assert.True(report.Count == 0, string.Join("\n", report));
            Assert.NotEqual("escaped", System.Net.Dns.GetHostName());

            // /sys is read-only as a mount, not just by its files' owners.
            var sys = Exec(name, "grep ' /sys ' /proc/self/mountinfo").Stdout.Split(' ');
            Assert.Contains("ro", sys[5].Split(','));

            // Raw disks: no block device at all, only the standard nodes.
            Assert.Equal("", Exec(name, "find /dev -type b").Stdout);
            Assert.Equal("console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero",
                string.Join(' ', Exec(name, "ls -A /dev").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)));

            // kill -9 -1 reaches every process the container's root may signal: the container's own, but for its init.
            var init = InitPid(name);
            Exec(name, "kill -9 -1");
            Thread.Sleep(300);
            Assert.False(hostSleep.HasExited, "kill -9 -1 in the container killed a host process");
            Ok(Exec(name, "true"));
            Assert.Equal(init, InitPid(name));
        }
        finally
        {
            hostSleep.Kill();
        }
        Ok(_host.Vessel("delete", "--force", name));
    }

    /// <summary>
    /// What a failed start must not leave: a mount under the instance's directories, a cgroup in any hierarchy, a shim;
    /// and after the delete, no directory either.
    /// </summary>
    private void AssertNothingLeftOf(string name, bool deleted)
    {
        var paths = new[] { Path.Combine(_host.RunDirectory, "instances", name), Path.Combine(_host.StateDirectory, "pools", "default", "containers", name) };
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]),
            m => m.Contains($"/{name}/", StringComparison.Ordinal) || m.EndsWith($"/{name}", StringComparison.Ordinal));
        foreach (var hierarchy in Directory.EnumerateDirectories("/sys/fs/cgroup"))
            Assert.False(Directory.Exists(Path.Combine(hierarchy, _host.CgroupRoot, name)), $"cgroup {name} left in {hierarchy}");
        Assert.DoesNotContain(Host.CommandLines("vessel-shim"), c => c.Contains(Path.Combine(_host.RunDirectory, "instances", name), StringComparison.Ordinal));
        if (deleted)
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(_host.Root, name + "*", SearchOption.AllDirectories));
            Assert.DoesNotContain(paths, Path.Exists);
        }
    }

    [Fact]
    public void FailedStart_OfAnImageWithoutInit_LeavesNothingBehind()
    {
        var tar = Path.Combine(_host.Root, "no-init.tar");
        using (var file = File.Create(tar))
        using (var writer = new System.Formats.Tar.TarWriter(file))
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "etc/hostname") { DataStream = new MemoryStream("x\n"u8.ToArray()) });
        Ok(_host.Vessel("image", "import", tar, "--alias", "no-init"));
        var name = "c" + Guid.NewGuid().ToString("N")[..8];

        var launch = _host.Vessel("launch", "no-init", name);

        Assert.Equal(1, launch.ExitCode);
        Assert.True(launch.Stderr.Contains("/sbin/init", StringComparison.Ordinal), launch.Stderr);
        AssertNothingLeftOf(name, deleted: false);
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(_host.Root, name + "*", SearchOption.AllDirectories)); // its root disk, kept until the delete
        Ok(_host.Vessel("delete", "--force", name));
        AssertNothingLeftOf(name, deleted: true);
        Ok(_host.Vessel("image", "delete", "no-init"));
    }

    /// <summary>This host's blkio controller has no weight that takes effect (no disk uses BFQ, CFQ is gone): limits.disk.priority is an error.</summary>
    [Fact]
    public void DiskPriority_TheHostCannotApply_IsRefused_AtLaunchAndConfigSet_LeavingNothing()
    {
        var bfq = Directory.EnumerateDirectories("/sys/block").Select(d => Path.Combine(d, "queue", "scheduler"))
            .Any(f => File.Exists(f) && File.ReadAllText(f).Contains("[bfq]", StringComparison.Ordinal));
        if (bfq || File.Exists("/sys/fs/cgroup/blkio/blkio.weight") || !Directory.Exists("/sys/fs/cgroup/blkio"))
            return; // a host that can weigh I/O applies the key; CgroupV1Tests cover the writes
        var name = "c" + Guid.NewGuid().ToString("N")[..8];
        const string refusal = "Error: limits.disk.priority: this host's block I/O controller has no weight that takes effect (";

        var launch = _host.Vessel("launch", "busybox", name, "-c", "limits.disk.priority=5");

        Assert.Equal(1, launch.ExitCode);
        Assert.StartsWith(refusal, launch.Stderr, StringComparison.Ordinal);
        AssertNothingLeftOf(name, deleted: false);
        _host.Vessel("delete", "--force", name);
        AssertNothingLeftOf(name, deleted: true);

        name = Launch("-c", "limits.memory=64MiB");
        var set = _host.Vessel("config", "set", name, "limits.disk.priority=5", "limits.memory=128MiB");
        Assert.Equal(1, set.ExitCode);
        Assert.StartsWith(refusal, set.Stderr, StringComparison.Ordinal);
        Assert.Equal("", _host.Vessel("config", "get", name, "limits.disk.priority").Stdout.Trim());
        var memory = Path.Combine("/sys/fs/cgroup/memory", _host.CgroupRoot, name, "memory.limit_in_bytes");
        Assert.Equal((64 << 20).ToString(CultureInfo.InvariantCulture), File.ReadAllText(memory).Trim()); // nothing half-applied
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void MemoryHog_IsOomKilledAtTheLimit()
    {
        var name = Launch("-c", "limits.memory=32MiB", "-c", "limits.memory.swap=false");

        // dd fills a 100 MB buffer before it writes anything.
        var result = Exec(name, "dd if=/dev/zero of=/dev/null bs=100M count=1");

        Assert.Equal(137, result.ExitCode);
        Assert.Contains(Path.Combine(_host.CgroupRoot, name), File.ReadAllText($"/proc/{InitPid(name)}/cgroup"));
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void ForkBomb_StopsAtTheProcessLimit()
    {
        var name = Launch("-c", "limits.processes=20");

        Exec(name, "i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done 2>/dev/null; true");
        var pids = Directory.EnumerateDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, _host.CgroupRoot, name)).First(d => File.Exists(Path.Combine(d, "pids.max")));

        Assert.Equal("20", File.ReadAllText(Path.Combine(pids, "pids.max")).Trim());
        Assert.InRange(int.Parse(File.ReadAllText(Path.Combine(pids, "pids.current")).Trim(), CultureInfo.InvariantCulture), 5, 20);
        Assert.NotEqual("max 0", File.ReadAllText(Path.Combine(pids, "pids.events")).Trim());
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void CpuQuota_Holds_AndChangesLive()
    {
        var name = Launch("-c", "limits.cpu.allowance=20ms/100ms");
        var cpuacct = Directory.EnumerateDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, _host.CgroupRoot, name, "cpuacct.usage")).First(File.Exists);
        static double Seconds(string file) => long.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture) / 1e9;

        var before = Seconds(cpuacct);
        var clock = Stopwatch.StartNew();
        Exec(name, "timeout 2 sh -c 'while :; do :; done'");
        var used = Seconds(cpuacct) - before;
        var share = used / clock.Elapsed.TotalSeconds;
        Assert.True(share < 0.3, $"a 20% quota let the container use {share:P0} of a CPU");

        Ok(_host.Vessel("config", "set", name, "limits.cpu.allowance=50ms/100ms"));
        var quota = Directory.EnumerateDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, _host.CgroupRoot, name, "cpu.cfs_quota_us")).First(File.Exists);
        Assert.Equal("50000", File.ReadAllText(quota).Trim());
        Ok(_host.Vessel("delete", "--force", name));
    }

    [Fact]
    public void StopStartPauseResume_FollowTheLifecycle()
    {
        var name = Launch();

        Ok(_host.Vessel("pause", name));
        Assert.Equal(InstanceStatus.Frozen, Info(name).Status);
        var paused = _host.Vessel("exec", name, "--", "true");
        Assert.Equal(1, paused.ExitCode);
        Assert.Contains("Frozen", paused.Stderr);
        Ok(_host.Vessel("resume", name));
        Ok(Exec(name, "true"));

        var clock = Stopwatch.StartNew();
        Ok(_host.Vessel("stop", name));
        Assert.Equal(InstanceStatus.Stopped, Info(name).Status);
        Ok(_host.Vessel("start", name));
        Assert.Equal(InstanceStatus.Running, Info(name).Status);
        Ok(_host.Vessel("restart", name, "--force"));
        Ok(Exec(name, "true"));
        Ok(_host.Vessel("stop", name, "--force"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"stop/start took {clock.Elapsed}");
        Ok(_host.Vessel("delete", name));
    }

    [Fact]
    public void Console_TakesInputAndKeepsALog()
    {
        var name = Launch();
        Thread.Sleep(300); // busybox init starts the console shell

        var typed = _host.Run("/bin/sh", "-c", $"echo 'echo console-says-$((6*7))' | {Binaries.Vessel} console {name}");

        Ok(typed);
        Assert.Contains("console-says-42", typed.Stdout);
        Assert.Contains("console-says-42", _host.Vessel("console", name, "--show-log").Stdout);
        Ok(_host.Vessel("stop", name, "--force"));
        var stopped = _host.Vessel("console", name);
        Assert.Equal($"Error: container \"{name}\" is not running; vessel console --show-log prints what its console printed\n", stopped.Stderr);
        Assert.Contains("console-says-42", _host.Vessel("console", name, "--show-log").Stdout);
        Ok(_host.Vessel("delete", name));
    }

    [Fact]
    public void PoweroffInside_IsSeenAsStopped()
    {
        var name = Launch();

        Exec(name, "poweroff");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Info(name).Status != InstanceStatus.Stopped && DateTime.UtcNow < deadline)
            Thread.Sleep(100);
        Assert.Equal(InstanceStatus.Stopped, Info(name).Status);
        Ok(_host.Vessel("delete", name));
    }

    [Fact]
    public void EphemeralContainer_IsGoneWhenStopped()
    {
        var name = Launch("--ephemeral");

        Ok(_host.Vessel("stop", name, "--force"));

        Assert.DoesNotContain(name, _host.Vessel("list").Stdout);
    }

    [Fact]
    public void Delete_LeavesNoProcessCgroupMountOrDirectory()
    {
        var name = Launch();
        var pid = InitPid(name);

        Ok(_host.Vessel("delete", "--force", name));

        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/sys/fs/cgroup"), h => Directory.Exists(Path.Combine(h, _host.CgroupRoot, name)));
        Assert.DoesNotContain(name, File.ReadAllText("/proc/self/mountinfo"));
        Assert.False(Directory.Exists(Path.Combine(_host.StateDirectory, "pools", "default", "containers", name)));
        Assert.False(Directory.Exists(Path.Combine(_host.RunDirectory, "instances", name)));
        Assert.DoesNotContain(Process.GetProcesses(), p => SafeCommandLine(p.Id).Contains(name, StringComparison.Ordinal));
    }

    private static string SafeCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
    }

    [Fact]
    public void BadInput_IsRefusedAndLeavesNothing()
    {
        var cases = new (string[] Args, string Error)[]
        {
            (["launch", "busybox", "web", "-c", "limits.memory=1PiB"], "Error: limits.memory: 1PiB is out of range"),
            (["launch", "busybox", "web", "-c", "limits.processes=0"], "Error: limits.processes: 0 is out of range"),
            (["exec", "nothere", "--", "true"], "Error: instance \"nothere\" not found"),
        };
        foreach (var (args, error) in cases)
        {
            var result = _host.Vessel(args);
            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith(error, result.Stderr, StringComparison.Ordinal);
        }
        var name = Launch();
        Ok(_host.Vessel("stop", name, "--force"));
        var stopped = _host.Vessel("exec", name, "--", "true");
        Assert.Equal(1, stopped.ExitCode);
        Assert.Equal($"Error: cannot exec in instance \"{name}\": it is Stopped\n", stopped.Stderr);
        var taken = _host.Vessel("launch", "busybox", name);
        Assert.Equal($"Error: instance \"{name}\" already exists\n", taken.Stderr);
        Ok(_host.Vessel("delete", name));
    }
}
