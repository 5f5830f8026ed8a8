using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Xunit.Abstractions;

namespace Vessel.IntegrationTests;

/// <summary>
/// The Debian VM image (vessel image build debian --vm: mmdebstrap, cloud kernel, systemd, qemu-guest-agent) booted
/// under QEMU (TCG here) through the real CLI: its guest agent answers, exec and file push/pull go through it, and an
/// ACPI stop powers it off cleanly.
/// </summary>
public sealed partial class DebianVirtualMachineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5), AgentTimeout = TimeSpan.FromMinutes(2);

    private readonly Host _host = StartedHost();

    private static Host StartedHost()
    {
        var host = new Host();
        host.StartDaemon();
        return host;
    }

    public void Dispose() => _host.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private CliResult Exec(params string[] command) => _host.Vessel(["exec", "deb1", "--", .. command]);

    /// <summary>The guest's counter; right after a restore its agent may need a moment to answer again.</summary>
    private long Counter()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var read = Exec("cat", "/run/counter");
            if (read.ExitCode == 0 && long.TryParse(read.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var value))
                return value;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"no counter in the guest: {read}");
            output.WriteLine($"counter not readable yet: {read}");
            Thread.Sleep(200);
        }
    }

    private void WaitForAgent()
    {
        var clock = Stopwatch.StartNew();
        while (Exec("true").ExitCode != 0)
            Assert.True(clock.Elapsed < AgentTimeout, "the guest agent did not answer again");
    }

    /// <summary>
    /// A disk-only snapshot of the running VM comes back after a restore (a restart) with what the guest had written, synced or
    /// not (its filesystems were frozen for the cut); a stateful one resumes the guest.
    /// </summary>
    private void Snapshots(Stopwatch clock)
    {
        Ok(Exec("sh", "-c", "echo one > /root/mark"));
        clock.Restart();
        Ok(_host.Vessel("snapshot", "create", "deb1", "disk1"));
        output.WriteLine($"disk-only snapshot of the running VM: {clock.Elapsed.TotalMilliseconds:0} ms");
        Ok(Exec("sh", "-c", "echo two > /root/mark && sync"));

        Ok(Exec("sh", "-c", "setsid sh -c 'i=0; while :; do i=$((i+1)); echo $i > /run/next; mv /run/next /run/counter; sleep 0.1; done' </dev/null >/dev/null 2>&1 &"));
        Thread.Sleep(1000);
        clock.Restart();
        Ok(_host.Vessel("snapshot", "create", "deb1", "live1", "--stateful"));
        output.WriteLine($"stateful snapshot (512 MiB guest): {clock.Elapsed.TotalMilliseconds:0} ms");
        var saved = Counter();
        // It counts tenths of a second, slower on a loaded host under TCG; the restore must take it well back.
        var running = Stopwatch.StartNew();
        long later;
        while ((later = Counter()) <= saved + 10)
        {
            Assert.True(running.Elapsed < TimeSpan.FromSeconds(30), $"the counter does not run: {saved} then {later} after 30 s");
            Thread.Sleep(500);
        }
        clock.Restart();
        Ok(_host.Vessel("snapshot", "restore", "deb1", "live1"));
        output.WriteLine($"stateful restore: {clock.Elapsed.TotalMilliseconds:0} ms");
        var resumed = Counter();
        Assert.True(resumed >= saved - 5 && resumed < later, $"after the restore the counter is {resumed}; saved about {saved}, {later} before the restore");
        Assert.Equal("two\n", Exec("cat", "/root/mark").Stdout);

        // With a vCPU more than it was taken with, its saved state does not fit; once a vCPU was taken out, QEMU 7.2 cannot
        // load state (it crashes), so the restore asks for a restart first; then it loads.
        Ok(_host.Vessel("config", "set", "deb1", "limits.cpu", "2"));
        Assert.Contains("which differ (cpus=1 then and cpus=2 now)", _host.Vessel("snapshot", "restore", "deb1", "live1").Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("config", "set", "deb1", "limits.cpu", "1"));
        Assert.Contains("restart it (vessel restart deb1), then restore", _host.Vessel("snapshot", "restore", "deb1", "live1").Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("restart", "deb1", "--force"));
        clock.Restart();
        Ok(_host.Vessel("snapshot", "restore", "deb1", "live1"));
        output.WriteLine($"stateful restore after a restart: {clock.Elapsed.TotalMilliseconds:0} ms");
        var again = Counter();
        Assert.True(again >= saved - 5 && again < later, $"after the restore into the restarted VM the counter is {again}; saved about {saved}");
        Assert.Equal("1\n", Exec("nproc").Stdout);

        // Snapshots leave custom volumes out: a saved memory would not match a writable volume's file system after a restore.
        Ok(_host.Vessel("storage", "volume", "create", "default", "blk", "--type", "block", "size=16MiB"));
        Ok(_host.Vessel("storage", "volume", "attach", "default", "blk", "deb1"));
        Assert.Contains("snapshots do not cover custom volumes", _host.Vessel("snapshot", "create", "deb1", "live2", "--stateful").Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("storage", "volume", "detach", "default", "blk", "deb1"));
        Ok(_host.Vessel("storage", "volume", "delete", "default", "blk"));

        clock.Restart();
        Ok(_host.Vessel("snapshot", "restore", "deb1", "disk1"));
        WaitForAgent();
        output.WriteLine($"disk-only restore of the running VM, until its agent answers again: {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("one\n", Exec("cat", "/root/mark").Stdout);
        Ok(_host.Vessel("snapshot", "delete", "deb1", "disk1"));
        Assert.DoesNotContain("disk1", _host.Vessel("snapshot", "list", "deb1").Stdout, StringComparison.Ordinal);
    }

    /// <summary>A copy of the running VM holds what its guest had just written without a sync: its filesystems were frozen for the cut.</summary>
    private void RunningCopy(Stopwatch clock)
    {
        Ok(Exec("sh", "-c", "echo hot > /root/unsynced"));
        clock.Restart();
        Ok(_host.Vessel("copy", "deb1", "deb5"));
        output.WriteLine($"copy of the running VM, its filesystems frozen for the cut: {clock.Elapsed.TotalMilliseconds:0} ms");
        Ok(Exec("touch", "/root/thawed"));
        Ok(_host.Vessel("start", "deb5"));
        clock.Restart();
        var copied = CatOnceUp(clock, "deb5", "/root/unsynced", "the copy's agent");
        Assert.Equal("hot\n", copied.Stdout);
        Assert.Equal("deb5\n", _host.Vessel("exec", "deb5", "--", "hostname").Stdout);
        // Each VM's machine-id is its own uuid, though the copy's disk holds the id the source committed at its first boot.
        foreach (var name in new[] { "deb1", "deb5" })
        {
            var uuid = Guid.Parse(_host.Vessel("config", "get", name, "volatile.uuid").Stdout.Trim());
            Assert.Equal($"{uuid:N}\n", _host.Vessel("exec", name, "--", "cat", "/etc/machine-id").Stdout);
        }
        Ok(_host.Vessel("delete", "--force", "deb5"));
    }

    /// <summary>cat FILE in a VM that boots: tried until its agent answers, for up to AgentTimeout since the clock was started.</summary>
    private CliResult CatOnceUp(Stopwatch clock, string name, string file, string who)
    {
        CliResult read;
        while ((read = _host.Vessel("exec", name, "--", "cat", file)).ExitCode != 0)
            Assert.True(clock.Elapsed < AgentTimeout, $"{who} did not answer: {read}");
        return read;
    }

    private const string UserData = """
        #cloud-config
        users:
          - name: carol
        write_files:
          - path: /root/from-cloud-init
            content: "seeded\n"
        runcmd:
          - [sh, -c, "cloud-init query local_hostname > /root/seen-hostname"]

        """;

    /// <summary>cloud-init found the NoCloud seed: it wrote the user-data's file and ran its command with the seed's hostname.</summary>
    private void CloudInitRan(string name)
    {
        var status = _host.Vessel("exec", name, "--", "cloud-init", "status", "--wait", "--long");
        Ok(status);
        Assert.Contains("status: done", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("DataSourceNoCloud", status.Stdout, StringComparison.Ordinal);
        Assert.Equal("seeded\n", _host.Vessel("exec", name, "--", "cat", "/root/from-cloud-init").Stdout);
        Assert.Equal($"{name}\n", _host.Vessel("exec", name, "--", "cat", "/root/seen-hostname").Stdout);
    }

    private long GuestMemTotalKiB() => long.Parse(Exec("sh", "-c", "awk '/^MemTotal:/ {print $2}' /proc/meminfo").Stdout.Trim(),
        System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A live limits.memory change goes through the balloon: the guest sees its memory shrink and come back.</summary>
    private void Balloon(Stopwatch clock)
    {
        var before = GuestMemTotalKiB();
        clock.Restart();
        Ok(_host.Vessel("config", "set", "deb1", "limits.memory=384MiB"));
        long shrunk;
        while ((shrunk = GuestMemTotalKiB()) > before - 100 * 1024)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the guest still has {shrunk} KiB of {before} after the balloon asked for 128 MiB");
            Thread.Sleep(200);
        }
        output.WriteLine($"balloon: MemTotal {before} KiB -> {shrunk} KiB in {clock.Elapsed.TotalSeconds:0.0} s");
        Ok(_host.Vessel("config", "set", "deb1", "limits.memory=512MiB"));
        clock.Restart();
        while (GuestMemTotalKiB() < before - 8 * 1024)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the balloon did not give the guest its memory back");
            Thread.Sleep(200);
        }
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+-\d+-cloud-amd64\n$")]
    private static partial Regex CloudKernelRelease();

    [Fact]
    public void DebianVm_BootsUntilItsAgentAnswers_ExecsAndCopiesFilesThroughIt_AndStopsCleanly()
    {
        var clock = Stopwatch.StartNew();
        Ok(_host.VesselWith("", BuildTimeout, "image", "build", "debian", "--vm"));
        var image = JsonSerializer.Deserialize(_host.Vessel("image", "list", "--format", "json").Stdout, VesselJson.Wire.ListImage)!.Single();
        Assert.Equal("kernel+initrd+disk", image.Format);
        output.WriteLine($"image built in {clock.Elapsed.TotalSeconds:0.0} s, {image.Size / 1048576.0:0.0} MiB");

        Ok(_host.Vessel("launch", "debian/12", "deb1", "--vm", "-c", "limits.memory=512MiB"));
        clock.Restart();
        CliResult ping;
        string? notYet = null;
        while ((ping = Exec("true")).ExitCode != 0 && clock.Elapsed < AgentTimeout)
            notYet ??= ping.Stderr;
        Assert.True(ping.ExitCode == 0, $"the guest agent did not answer within {AgentTimeout}: {ping}\n{_host.Vessel("console", "deb1", "--show-log").Stdout}");
        output.WriteLine($"launch to guest agent: {clock.Elapsed.TotalSeconds:0.0} s");
        if (notYet is not null)
            Assert.StartsWith("Error: the guest agent of virtual machine \"deb1\" is unavailable", notYet, StringComparison.Ordinal);

        clock.Restart();
        var uname = Exec("uname", "-r");
        output.WriteLine($"exec uname -r: {clock.Elapsed.TotalMilliseconds:0} ms");
        Ok(uname);
        Assert.Matches(CloudKernelRelease(), uname.Stdout);
        Assert.Equal("deb1\n", Exec("hostname").Stdout);
        Assert.Equal("../run/systemd/resolve/stub-resolv.conf\n", Exec("readlink", "/etc/resolv.conf").Stdout);
        Balloon(clock);

        var failing = Exec("sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, failing.ExitCode);
        Assert.Equal("out\n", failing.Stdout);
        Assert.Equal("err\n", failing.Stderr);
        Assert.Equal("piped\n", _host.VesselWith("piped\n", TimeSpan.FromSeconds(60), "exec", "deb1", "--", "cat").Stdout);
        Assert.Equal("/tmp 1000\n", _host.Vessel("exec", "deb1", "--cwd", "/tmp", "--user", "1000", "--", "sh", "-c", "echo $(pwd) $(id -u)").Stdout);
        var terminal = _host.Vessel("exec", "deb1", "-t", "--", "true");
        Assert.Equal(1, terminal.ExitCode);
        Assert.StartsWith("Error: exec -t in virtual machine \"deb1\" is not supported yet", terminal.Stderr, StringComparison.Ordinal);

        var local = Path.Combine(_host.Root, "data.bin");
        var data = new byte[3 << 20];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(local, data);
        clock.Restart();
        Ok(_host.Vessel("file", "push", local, "deb1/root/data.bin", "--mode", "600", "--uid", "1000", "--gid", "100"));
        output.WriteLine($"file push of 3 MiB: {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal($"600 1000 100 {data.Length}\n", Exec("stat", "-c", "%a %u %g %s", "/root/data.bin").Stdout);
        var back = Path.Combine(_host.Root, "back.bin");
        clock.Restart();
        Ok(_host.Vessel("file", "pull", "deb1/root/data.bin", back));
        output.WriteLine($"file pull of 3 MiB: {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(data, File.ReadAllBytes(back));
        var missing = _host.Vessel("file", "pull", "deb1/nope", back);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("Error: /nope: no such file in virtual machine \"deb1\"", missing.Stderr, StringComparison.Ordinal);

        Snapshots(clock);
        RunningCopy(clock);

        clock.Restart();
        Ok(_host.VesselWith("", TimeSpan.FromMinutes(2), "stop", "deb1", "--timeout", "60"));
        output.WriteLine($"stop: {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(InstanceStatus.Stopped,
            JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout, VesselJson.Wire.ListInstance)!.Single().Status);
        // systemd powered the guest off (logind saw the ACPI power button), not the kill after the timeout.
        Assert.Contains("reboot: Power down", _host.Vessel("console", "deb1", "--show-log").Stdout, StringComparison.Ordinal);

        // Published, the stopped VM is an image: a new instance of it boots with the mark written before.
        clock.Restart();
        Ok(_host.VesselWith("", TimeSpan.FromMinutes(3), "publish", "deb1", "--alias", "deb-template"));
        output.WriteLine($"publish of the stopped VM (qemu-img convert -c): {clock.Elapsed.TotalSeconds:0.0} s");
        Ok(_host.Vessel("launch", "deb-template", "deb3", "--vm"));
        clock.Restart();
        var published = CatOnceUp(clock, "deb3", "/root/mark", "the published image's VM");
        Assert.Equal("one\n", published.Stdout);
        Ok(_host.Vessel("delete", "--force", "deb3"));

        // A copy of the stopped VM boots with its disk (the mark written before) under its own name.
        Ok(_host.Vessel("copy", "deb1", "deb2"));
        Ok(_host.Vessel("start", "deb2"));
        clock.Restart();
        var mark = CatOnceUp(clock, "deb2", "/root/mark", "the copy's agent");
        Assert.Equal("one\n", mark.Stdout);
        Assert.Equal("deb2\n", _host.Vessel("exec", "deb2", "--", "hostname").Stdout);

        // Exported, deleted and imported again, the copy boots with its disk. Without its snapshots (--instance-only) the
        // export leaves out their clusters and saved memory, which the disk itself holds.
        Ok(_host.Vessel("snapshot", "create", "deb2", "held", "--stateful"));
        Ok(_host.VesselWith("", TimeSpan.FromMinutes(2), "stop", "deb2", "--timeout", "60"));
        var backup = Path.Combine(_host.Root, "deb2.backup");
        clock.Restart();
        Ok(_host.Vessel("export", "deb2", backup));
        output.WriteLine($"export of the stopped VM: {clock.Elapsed.TotalSeconds:0.0} s, {new FileInfo(backup).Length / 1048576.0:0.0} MiB");
        var bare = Path.Combine(_host.Root, "deb2-bare.backup");
        Ok(_host.Vessel("export", "deb2", bare, "--instance-only"));
        output.WriteLine($"export without snapshots: {new FileInfo(bare).Length / 1048576.0:0.0} MiB");
        // Both hold the image; the snapshot's saved memory (tens of MiB for this guest) only the whole export.
        Assert.True(new FileInfo(backup).Length - new FileInfo(bare).Length > 16 << 20, "an export without snapshots still holds their saved memory");
        Ok(_host.Vessel("import", bare, "deb6"));
        Assert.DoesNotContain("held", _host.Vessel("snapshot", "list", "deb6").Stdout, StringComparison.Ordinal);
        Ok(_host.Vessel("delete", "deb6"));
        File.Delete(bare);
        Ok(_host.Vessel("delete", "deb2"));
        clock.Restart();
        Ok(_host.Vessel("import", backup));
        output.WriteLine($"import: {clock.Elapsed.TotalSeconds:0.0} s");
        // Its next boot runs cloud-init with the user data and ssh keys for root and for a user it makes (before it,
        // cloud-init was off: no keys, no seed).
        var sshKey = Path.Combine(_host.Root, "id_test");
        Ok(_host.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vessel-test", "-f", sshKey));
        var publicKey = File.ReadAllText(sshKey + ".pub").Trim();
        Ok(_host.Vessel("config", "set", "deb2", $"cloud-init.user-data={UserData}", $"cloud-init.ssh-keys.admin=root:{publicKey}",
            $"cloud-init.ssh-keys.alice=alice:{publicKey}"));
        Ok(_host.Vessel("start", "deb2"));
        clock.Restart();
        mark = CatOnceUp(clock, "deb2", "/root/mark", "the imported VM's agent");
        output.WriteLine($"start to agent with cloud-init (no nic: network-online waits its 10 s): {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal("one\n", mark.Stdout);
        CloudInitRan("deb2");
        // The guest's sshd lets the key in as root and as alice, whom cloud-init made beside carol of the user data's users:.
        Ok(_host.Vessel("file", "push", sshKey, "deb2/root/id_test", "--mode", "600"));
        foreach (var user in new[] { "root", "alice" })
        {
            var ssh = _host.Vessel("exec", "deb2", "--", "ssh", "-i", "/root/id_test", "-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes",
                $"{user}@127.0.0.1", "id", "-un");
            Assert.True(ssh.ExitCode == 0 && ssh.Stdout == $"{user}\n", ssh.ToString());
        }
        Ok(_host.Vessel("exec", "deb2", "--", "id", "carol"));

        // An incremental export holds only what the guest wrote since the import (its disk's dirty bitmap); applied onto
        // the full export restored under another name, the guest finds the file written after it.
        Ok(_host.Vessel("exec", "deb2", "--", "sh", "-c", "echo two > /root/later && sync"));
        Ok(_host.VesselWith("", TimeSpan.FromMinutes(2), "stop", "deb2", "--timeout", "60"));
        var increment = Path.Combine(_host.Root, "deb2.increment");
        clock.Restart();
        Ok(_host.Vessel("export", "deb2", increment, "--incremental"));
        output.WriteLine($"incremental export: {clock.Elapsed.TotalSeconds:0.0} s, {new FileInfo(increment).Length / 1048576.0:0.0} MiB " +
            $"(the full one: {new FileInfo(backup).Length / 1048576.0:0.0} MiB)");
        Assert.True(new FileInfo(increment).Length < new FileInfo(backup).Length / 4, "the increment is not much smaller than the whole backup");
        Ok(_host.Vessel("delete", "deb2"));
        var wrongBase = _host.Vessel("import", increment, "deb4");
        Assert.Equal(1, wrongBase.ExitCode);
        Assert.Contains("applies onto instance \"deb4\" restored from the export before it", wrongBase.Stderr, StringComparison.Ordinal);
        Ok(_host.Vessel("import", backup, "deb4"));
        clock.Restart();
        Ok(_host.Vessel("import", increment, "deb4"));
        output.WriteLine($"increment applied: {clock.Elapsed.TotalSeconds:0.0} s");
        Ok(_host.Vessel("start", "deb4"));
        clock.Restart();
        mark = CatOnceUp(clock, "deb4", "/root/later", "the VM restored from the increment");
        Assert.Equal("two\n", mark.Stdout);
        Ok(_host.Vessel("delete", "--force", "deb4"));
        Ok(_host.Vessel("delete", "deb1"));
    }
}
