using System.Diagnostics;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

/// <summary>vesseld killed at any moment: the store stays consistent and nothing is lost, hanging or half-made.</summary>
public sealed class DaemonCrashTests : IDisposable
{
    private readonly Host _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task SigkillDuringAnImport_RestartMarksItFailed_NoImageNoLeftovers()
    {
        _host.StartDaemon();
        var fifo = Path.Combine(_host.Root, "upload.fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo))
            mkfifo.WaitForExit();

        // The CLI streams from a pipe we hold open, so the import is certainly in the middle when the daemon dies.
        var import = Task.Run(() => _host.Vessel("image", "import", fifo, "--alias", "big"));
        using (var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write))
        {
            var header = new byte[512];
            "ustar"u8.CopyTo(header.AsSpan(257));
            writer.Write(header);
            writer.Write(new byte[8 << 20]);
            writer.Flush();

            var running = WaitFor(() => _host.Operations().SingleOrDefault(o => o.Status == OperationStatus.Running));
            Assert.Equal("Importing image big", running.Description);
            Assert.True(Directory.EnumerateFileSystemEntries(Path.Combine(_host.StateDirectory, "images", ".staging")).Any());

            _host.KillDaemon(9);
            _host.StartDaemon();
            var after = Assert.Single(_host.Operations(), o => o.Id == running.Id);
            Assert.Equal(OperationStatus.Failure, after.Status);
            Assert.Equal("interrupted: vesseld stopped while the operation ran", after.Error);
        }
        // The pipe is closed now: the CLI, which was blocked reading it, learns that its daemon went away.
        var cli = await import.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, cli.ExitCode);
        Assert.StartsWith("Error: ", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal("[]", _host.Vessel("image", "list", "--format", "json").Stdout.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_host.StateDirectory, "images", ".staging")));
        Assert.Equal([".staging"], Directory.EnumerateDirectories(Path.Combine(_host.StateDirectory, "images")).Select(Path.GetFileName));
    }

    [Fact]
    public void SecondDaemon_OnTheSameDirectories_IsRefused()
    {
        _host.StartDaemon();

        var second = _host.Run(Binaries.Vesseld);

        Assert.Equal(1, second.ExitCode);
        Assert.Equal($"vesseld: another vesseld (pid {_host.DaemonPid}) already runs with {_host.RunDirectory}\n", second.Stderr);
        Assert.Equal(0, _host.Vessel("list").ExitCode);
    }

    /// <summary>A daemon that ends takes its cgroup root away where no container is left in it, and leaves it where one runs.</summary>
    [Fact]
    public void Sigterm_TakesTheEmptyCgroupRootAway_AndLeavesOneWithARunningContainer()
    {
        _host.StartDaemon();
        Assert.Equal(0, _host.Vessel("image", "build", "busybox").ExitCode);
        Assert.Equal(0, _host.Vessel("launch", "busybox", "c1", "--network", "none").ExitCode);
        string[] Roots() => [.. Directory.EnumerateDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, _host.CgroupRoot)).Where(Directory.Exists)];
        Assert.NotEmpty(Roots());

        _host.KillDaemon(15);
        Assert.NotEmpty(Roots()); // c1 runs in it
        _host.StartDaemon();
        Assert.Equal(0, _host.Vessel("delete", "--force", "c1").ExitCode);
        _host.KillDaemon(15);

        Assert.Empty(Roots());
    }

    [Fact]
    public void Sigterm_ExitsCleanly_AndStateSurvivesTheRestart()
    {
        _host.StartDaemon();
        var pool = Path.Combine(_host.Root, "second");
        Assert.Equal(0, _host.Vessel("storage", "create", "second", "dir", $"source={pool}").ExitCode);

        Assert.Equal(0, _host.DaemonExitCodeAfter(15));
        Assert.False(File.Exists(Path.Combine(_host.RunDirectory, "vesseld.pid")));

        _host.StartDaemon();
        Assert.Contains("| second ", _host.Vessel("storage", "list").Stdout);
    }

    [Fact]
    public void Cli_WithNoDaemon_SaysSoAndExits1()
    {
        var result = _host.Vessel("list");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error: cannot reach vesseld at {_host.RunDirectory}/vessel.sock", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void BadDaemonArguments_ExitWith2()
    {
        var result = _host.Run(Binaries.Vesseld, "--tcp", "0.0.0.0:8443");

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("vesseld: --tcp: 0.0.0.0 is not a loopback address", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void SigkillOfTheDaemon_LeavesContainersRunning_AndTheNextDaemonAdoptsThem()
    {
        _host.StartDaemon();
        foreach (var args in new[] { new[] { "image", "build", "busybox" }, ["launch", "busybox", "keep"], ["launch", "busybox", "quits"] })
            Assert.Equal(0, _host.Vessel(args).ExitCode);
        int Pid(string name) => int.Parse(_host.Vessel("info", name).Stdout.Split('\n').Single(l => l.StartsWith("PID: ", StringComparison.Ordinal))[5..],
            System.Globalization.CultureInfo.InvariantCulture);
        var keep = Pid("keep");
        var quits = Pid("quits");

        _host.KillDaemon(9);
        Assert.True(Directory.Exists($"/proc/{keep}"), "the container died with the daemon");
        using (var kill = Process.Start("kill", $"-9 {quits}"))
            kill.WaitForExit(); // this one ends while no daemon watches
        _host.StartDaemon();

        var instances = System.Text.Json.JsonSerializer.Deserialize(_host.Vessel("list", "--format", "json").Stdout,
            Vessel.Core.Api.VesselJson.Wire.ListInstance)!.ToDictionary(i => i.Name, i => i.Status);
        Assert.Equal(InstanceStatus.Running, instances["keep"]);
        Assert.Equal(InstanceStatus.Stopped, instances["quits"]);
        Assert.Contains("Status: Stopped (init exited with code 137)", _host.Vessel("info", "quits").Stdout);
        Assert.Equal("still here\n", _host.Vessel("exec", "keep", "--", "echo", "still here").Stdout);
        Assert.Equal(keep, Pid("keep"));
    }

    private static T WaitFor<T>(Func<T?> probe) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (probe() is { } value)
                return value;
            Thread.Sleep(50);
        }
        throw new TimeoutException("condition not reached within 30 s");
    }
}
