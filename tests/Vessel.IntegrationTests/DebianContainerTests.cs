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

        Ok(_host.Vessel("stop", "deb1", "--timeout", "30"));
        // A clean halt by systemd itself (SIGRTMIN+3), not the SIGKILL after the timeout.
        Assert.Contains("Exiting container.", _host.Vessel("console", "deb1", "--show-log").Stdout);
        Ok(_host.Vessel("delete", "deb1"));
    }
}
