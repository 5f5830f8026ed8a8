using System.Diagnostics;

namespace Vessel.IntegrationTests;

/// <summary>A Debian system container built with mmdebstrap from the host's apt sources, booting systemd.</summary>
public sealed class DebianContainerTests : IDisposable
{
    private readonly Host _host = new();

    public DebianContainerTests() => _host.StartDaemon();

    public void Dispose() => _host.Dispose();

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    [Fact]
    public void DebianContainer_BootsSystemd_RunsCommands_AndStopsCleanly()
    {
        Ok(_host.VesselWith("", TimeSpan.FromMinutes(5), "image", "build", "debian")); // mmdebstrap: ~30 s here, more on a loaded machine
        Ok(_host.Vessel("launch", "debian/12", "deb1", "-c", "limits.memory=512MiB"));

        var clock = Stopwatch.StartNew();
        string state;
        do
        {
            Thread.Sleep(500);
            state = _host.Vessel("exec", "deb1", "--", "systemctl", "is-system-running").Stdout.Trim();
        }
        while (state is not ("running" or "degraded") && clock.Elapsed < TimeSpan.FromSeconds(90));
        Assert.True(state is "running" or "degraded", $"systemd says {state} after {clock.Elapsed.TotalSeconds:0} s: " +
            _host.Vessel("exec", "deb1", "--", "systemctl", "--failed", "--no-legend").Stdout);

        Assert.Contains("VERSION_CODENAME=bookworm", _host.Vessel("exec", "deb1", "--", "cat", "/etc/os-release").Stdout);
        Assert.Equal("1\n", _host.Vessel("exec", "deb1", "--", "sh", "-c", "cat /proc/1/comm | grep -c systemd").Stdout);
        Assert.Equal("deb1\n", _host.Vessel("exec", "deb1", "--", "hostname").Stdout);

        SyscallEscapeProbes_Fail("deb1");

        Ok(_host.Vessel("stop", "deb1", "--timeout", "30"));
        // A clean halt by systemd itself (SIGRTMIN+3), not the SIGKILL after the timeout.
        Assert.Contains("Exiting container.", _host.Vessel("console", "deb1", "--show-log").Stdout);
        Ok(_host.Vessel("delete", "deb1"));
    }

    /// <summary>
    /// The escape probes busybox has no tool for (ContainerTests.EscapeProbes_AllFail has the rest), as raw syscalls from
    /// perl, which every Debian has: each works on the host, and fails in the container with the errno of the protection.
    /// </summary>
    private void SyscallEscapeProbes_Fail(string name)
    {
        using var hostSleep = Process.Start("sleep", "302")!;
        try
        {
            const string result = "print $r < 0 ? $! + 0 : 'ok'";
            var probes = new (string Probe, string Perl, string Refusal)[]
            {
                // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING): the kernel keyring is not namespaced; seccomp refuses it.
                ("keyctl (seccomp)", $"my $r = syscall(250, 0, -4, 0); {result}", "1"), // EPERM
                // ptrace(PTRACE_SEIZE) traces without stopping; the host's process is not in the container's pid namespace.
                ("ptrace a host process (pid namespace)", $"my $r = syscall(101, 0x4206, {hostSleep.Id}, 0, 0); {result}", "3"), // ESRCH
            };
            foreach (var (probe, perl, refusal) in probes)
            {
                Assert.Equal("ok", _host.Run("perl", "-e", perl).Stdout);
                var inside = _host.Vessel("exec", name, "--", "perl", "-e", perl);
                Assert.True(inside.Stdout == refusal, $"{probe}: not refused with errno {refusal}: {inside}");
            }
            var seen = _host.Vessel("exec", name, "--", "sh", "-c", $"test -e /proc/{hostSleep.Id} && tr '\\0' ' ' < /proc/{hostSleep.Id}/cmdline");
            Assert.DoesNotContain("sleep 302", seen.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            hostSleep.Kill();
        }
    }
}
