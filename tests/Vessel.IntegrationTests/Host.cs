using System.Diagnostics;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.IntegrationTests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>A real vesseld process on temp directories, and the real vessel CLI pointed at it.</summary>
public sealed class Host : IDisposable
{
    private Process? _daemon;

    public string Root { get; } = CreateRoot();

    // Passable (not listable) by others, as /var/lib/vessel is: an unprivileged container's root user has to reach
    // its image and volume below it.
    private static string CreateRoot()
    {
        var root = System.IO.Directory.CreateTempSubdirectory("vessel-it-");
        root.UnixFileMode = (UnixFileMode)0b111_001_001;
        return root.FullName;
    }
    public string StateDirectory => Path.Combine(Root, "state");
    public string RunDirectory => Path.Combine(Root, "run");
    public string LogFile => Path.Combine(Root, "vesseld.log");
    public int? DaemonPid => _daemon?.Id;
    /// <summary>The network namespace (ip netns name) vesseld runs in; null for the host's.</summary>
    public string? NetworkNamespace { get; set; }

    private void Environment(ProcessStartInfo start)
    {
        start.Environment["VESSEL_DIR"] = StateDirectory;
        start.Environment["VESSEL_RUN_DIR"] = RunDirectory;
        start.Environment["VESSEL_LOG_DIR"] = Path.Combine(Root, "log");
    }

    /// <summary>
    /// Programs vesseld is not to find, as on a host without their package: it runs in a mount namespace of its own where
    /// /dev/null (not executable) is bound over each.
    /// </summary>
    public IReadOnlyList<string> HiddenPrograms { get; set; } = [];

    /// <summary>Starts vesseld and waits until its API answers.</summary>
    public void StartDaemon()
    {
        var start = NetworkNamespace is null
            ? new ProcessStartInfo(Binaries.Vesseld)
            : new ProcessStartInfo("nsenter") { ArgumentList = { $"--net=/run/netns/{NetworkNamespace}", Binaries.Vesseld } };
        if (HiddenPrograms.Count > 0)
        {
            var hide = string.Concat(HiddenPrograms.Select(p => $"mount --bind /dev/null {p} && "));
            start.ArgumentList.Insert(0, start.FileName);
            foreach (var argument in new[] { "--mount", "--propagation", "private", "sh", "-c", hide + "exec \"$@\"", "sh" }.Reverse())
                start.ArgumentList.Insert(0, argument);
            start.FileName = "unshare";
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        Environment(start);
        _daemon = Process.Start(start)!;
        var log = File.AppendText(LogFile);
        log.AutoFlush = true;
        _daemon.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _daemon.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_daemon.HasExited)
                throw new InvalidOperationException($"vesseld exited with {_daemon.ExitCode}: {File.ReadAllText(LogFile)}");
            if (Vessel("version").Stdout.Contains("Server version: 1", StringComparison.Ordinal))
                return;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"vesseld did not answer within 30 s: {File.ReadAllText(LogFile)}");
    }

    public void KillDaemon(int signal)
    {
        var daemon = _daemon ?? throw new InvalidOperationException("no daemon");
        using (var kill = Process.Start("kill", $"-{signal} {daemon.Id}"))
            kill.WaitForExit();
        if (!daemon.WaitForExit(15_000))
            throw new TimeoutException("vesseld did not exit");
        _daemon = null;
    }

    public int DaemonExitCodeAfter(int signal)
    {
        var daemon = _daemon!;
        KillDaemon(signal);
        return daemon.ExitCode;
    }

    public CliResult Vessel(params string[] args) => Run(Binaries.Vessel, args);

    /// <summary>
    /// Types a command on the instance's serial shell, again every round (a line typed before the shell reads is lost),
    /// until what it prints, which must not be in the command line itself, is on the console.
    /// </summary>
    public void TypeOnConsole(string name, string command, string printed)
    {
        var clock = Stopwatch.StartNew();
        while (!Vessel("console", name, "--show-log").Stdout.Contains(printed, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"\"{printed}\" not on the console of {name} after 60 s");
            var typed = VesselWith(command + "\n", TimeSpan.FromSeconds(30), "console", name);
            Assert.True(typed.ExitCode == 0, typed.ToString());
        }
    }

    /// <summary>Waits for TEXT in the instance's console log and returns what the log holds from there on.</summary>
    public string WaitForConsole(string name, string text, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var log = Vessel("console", name, "--show-log").Stdout;
            var at = log.IndexOf(text, StringComparison.Ordinal);
            if (at >= 0)
                return log[at..];
            Assert.True(clock.Elapsed < within, $"\"{text}\" not on the console of {name} after {within.TotalSeconds} s:\n{log}");
            Thread.Sleep(100);
        }
    }

    /// <summary>The CLI with <paramref name="stdin"/> as its whole stdin, allowed <paramref name="timeout"/>.</summary>
    public CliResult VesselWith(string stdin, TimeSpan timeout, params string[] args) => Run(Binaries.Vessel, args, stdin, timeout);

    public CliResult Run(string program, params string[] args) => Run(program, args, "", TimeSpan.FromSeconds(60));

    /// <summary>The command lines of the running processes of that name; one that exits while they are read is left out.</summary>
    public static List<string> CommandLines(string processName)
    {
        var lines = new List<string>();
        foreach (var process in Process.GetProcessesByName(processName))
        {
            try
            {
                lines.Add(File.ReadAllText($"/proc/{process.Id}/cmdline"));
            }
            catch (IOException)
            {
            }
        }
        return lines;
    }

    /// <summary>Runs a program to its end; its stdin holds <paramref name="stdin"/> and then ends (never the test runner's stdin).</summary>
    private CliResult Run(string program, string[] args, string stdin, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Environment(start);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not exit within {timeout.TotalSeconds} s");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public List<Operation> Operations()
    {
        var result = Vessel("operation", "list", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonSerializer.Deserialize(result.Stdout, VesselJson.Wire.ListOperation)!;
    }

    /// <summary>GET on the daemon's API socket; the body of a 2xx answer.</summary>
    public string Api(string path)
    {
        var result = Run("curl", "-sSf", "--unix-socket", Path.Combine(RunDirectory, "vessel.sock"), $"http://vessel{path}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary>What the instance's root occupies in its pool, as its state reports it (null: not measured).</summary>
    public long? DiskBytes(string name) =>
        JsonSerializer.Deserialize(Api($"/1.0/instances/{name}/state"), VesselJson.Wire.InstanceStateView)!.Usage?.DiskBytes;

    /// <summary>The cgroup under which this daemon's containers live (vesseld derives it from the state directory).</summary>
    public string CgroupRoot => "vessel-" + Convert.ToHexStringLower(
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(StateDirectory)))[..12];

    public void Dispose()
    {
        if (_daemon is { HasExited: false })
        {
            // Whatever a failed test left running goes with the test.
            var list = Vessel("list", "--format", "json");
            if (list.ExitCode == 0)
            {
                foreach (var instance in JsonSerializer.Deserialize(list.Stdout, VesselJson.Wire.ListInstance)!)
                    Vessel("delete", "--force", instance.Name);
            }
            var networks = Vessel("network", "list", "--format", "json");
            if (networks.ExitCode == 0)
            {
                foreach (var network in JsonSerializer.Deserialize(networks.Stdout, VesselJson.Wire.ListNetworkView)!)
                    Vessel("network", "delete", network.Network.Name);
            }
            var pools = Vessel("storage", "list", "--format", "json");
            if (pools.ExitCode == 0)
            {
                foreach (var pool in JsonSerializer.Deserialize(pools.Stdout, VesselJson.Wire.ListStoragePoolView)!.Where(p => p.Pool.Name != "default"))
                    Vessel("storage", "delete", pool.Pool.Name);
            }
            KillDaemon(15);
        }
        // A pool's filesystem still mounted under the root (a btrfs loop file) must not be emptied by the delete below.
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
                     .Where(m => m.StartsWith(Root + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
            Run("umount", mount);
        foreach (var hierarchy in System.IO.Directory.EnumerateDirectories("/sys/fs/cgroup"))
        {
            var dir = Path.Combine(hierarchy, CgroupRoot);
            if (System.IO.Directory.Exists(dir))
                System.IO.Directory.Delete(dir);
        }
        System.IO.Directory.Delete(Root, recursive: true);
    }
}
