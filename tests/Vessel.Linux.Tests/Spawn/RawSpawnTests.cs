using System.Text;
using Microsoft.Win32.SafeHandles;
using Vessel.Linux.Spawn;

namespace Vessel.Linux.Tests.Spawn;

/// <summary>Real processes started with clone3 (needs root, as the runtime does).</summary>
public sealed class RawSpawnTests
{
    /// <summary>Runs the program with stdout and stderr on a pipe, waits for it, returns (exit code, output).</summary>
    private static (int ExitCode, string Output) Run(SpawnOptions options, Action<SpawnedProcess>? beforeRelease = null)
    {
        var (read, write) = Fds.Pipe();
        using (read)
        {
            int pid;
            using (write)
            {
                var withOutput = options with { Fds = [.. options.Fds, (Fds.Number(write), 1), (Fds.Number(write), 2)] };
                using var child = RawSpawn.Start(withOutput);
                beforeRelease?.Invoke(child);
                child.WaitForExec();
                pid = child.Pid;
            }
            using var output = new FileStream(read, FileAccess.Read);
            var text = new StreamReader(output, Encoding.UTF8).ReadToEnd();
            return (Processes.WaitForExit(pid), text);
        }
    }

    private static SpawnOptions Shell(string script) => new() { Path = "/bin/sh", Arguments = ["sh", "-c", script], Environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] };

    [Fact]
    public void Spawn_RunsTheProgramWithItsArgumentsAndEnvironment()
    {
        var (code, output) = Run(Shell("echo \"$GREETING $0\"; exit 3") with { Environment = ["GREETING=hello"] });

        Assert.Equal(3, code);
        Assert.Equal("hello sh\n", output);
    }

    [Fact]
    public void MissingProgram_FailsWithTheStepAndErrno()
    {
        var error = Assert.Throws<LinuxException>(() => RawSpawn.Start(new SpawnOptions { Path = "/nonexistent/prog", Arguments = ["prog"] }));

        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal("start /nonexistent/prog: Execve", error.Call);
    }

    [Fact]
    public void NewPidUtsAndMountNamespaces_AreTheChildsOwn()
    {
        var (code, output) = Run(Shell("echo $$; hostname inner && hostname") with
        {
            Flags = CloneFlags.NewPid | CloneFlags.NewUts | CloneFlags.NewNamespace,
        });

        Assert.Equal(0, code);
        Assert.Equal("1\ninner\n", output);
        Assert.NotEqual("inner", Environment.MachineName);
    }

    [Fact]
    public void UserNamespace_WaitsForItsMapsThenRunsAsMappedRoot()
    {
        var (code, output) = Run(Shell("id -u; id -g; cat /proc/self/uid_map") with
        {
            Flags = CloneFlags.NewUser | CloneFlags.NewPid | CloneFlags.NewNamespace,
            WaitForRelease = true,
            Identity = (0, 0), // until it sets its ids, the child keeps host root's, which the map does not name
        }, child =>
        {
            File.WriteAllText($"/proc/{child.Pid}/uid_map", "0 1000000 65536");
            File.WriteAllText($"/proc/{child.Pid}/gid_map", "0 1000000 65536");
        });

        Assert.Equal(0, code);
        Assert.Equal(["0", "0"], output.Split('\n')[..2]);
        Assert.Matches(@"^\s*0\s+1000000\s+65536$", output.Split('\n')[2]);
    }

    [Fact]
    public void AbortedChild_ExitsWithoutRunningTheProgram()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"vessel-spawn-{Guid.NewGuid():N}");
        var child = RawSpawn.Start(Shell($"touch {marker}") with { WaitForRelease = true });

        child.Abort();

        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void JoinNamespaces_EntersAnotherProcesssNamespaces()
    {
        var (read, write) = Fds.Pipe();
        using var holder = RawSpawn.Start(Shell("hostname joined-ns; echo ready; exec sleep 30") with
        {
            Flags = CloneFlags.NewUts,
            Fds = [(Fds.Number(write), 1)],
        });
        write.Dispose();
        try
        {
            using (var ready = new StreamReader(new FileStream(read, FileAccess.Read)))
                Assert.Equal("ready", ready.ReadLine());
            using var uts = Fds.Open($"/proc/{holder.Pid}/ns/uts");

            var (code, output) = Run(Shell("hostname") with { JoinNamespaces = [Fds.Number(uts)] });

            Assert.Equal(0, code);
            Assert.Equal("joined-ns\n", output);
        }
        finally
        {
            Processes.Kill(holder.Pid, 9);
            Processes.WaitForExit(holder.Pid);
        }
    }

    [Fact]
    public void PidNamespace_ChildIsBornInIt_AndLaterChildrenAreNot()
    {
        var (read, write) = Fds.Pipe();
        using var holder = RawSpawn.Start(Shell("echo ready; exec sleep 30") with { Flags = CloneFlags.NewPid, Fds = [(Fds.Number(write), 1)] });
        write.Dispose();
        try
        {
            using (var ready = new StreamReader(new FileStream(read, FileAccess.Read)))
                Assert.Equal("ready", ready.ReadLine());
            using var pid = Fds.Open($"/proc/{holder.Pid}/ns/pid");

            var (_, inside) = Run(Shell("echo $$") with { PidNamespace = Fds.Number(pid) });
            var (_, after) = Run(Shell("readlink /proc/self/ns/pid"));

            Assert.Equal("2\n", inside); // the holder is 1
            Assert.Equal(new FileInfo("/proc/self/ns/pid").LinkTarget + "\n", after);
        }
        finally
        {
            Processes.Kill(holder.Pid, 9);
            Processes.WaitForExit(holder.Pid);
        }
    }

    [Fact]
    public void CgroupTaskFds_ChildWritesItselfToEach()
    {
        var tasks = Path.Combine(Path.GetTempPath(), $"vessel-spawn-tasks-{Guid.NewGuid():N}");
        File.WriteAllText(tasks, "");
        try
        {
            using var file = Fds.Open(tasks, 1 /* O_WRONLY */);

            var (code, _) = Run(new SpawnOptions { Path = "/bin/true", Arguments = ["true"], CgroupTaskFds = [Fds.Number(file)] });

            Assert.Equal(0, code);
            Assert.Equal("0", File.ReadAllText(tasks)); // on cgroupfs, "0" is the writer itself
        }
        finally
        {
            File.Delete(tasks);
        }
    }

    [Fact]
    public void IdentityAndCapabilities_AreAppliedBeforeExec()
    {
        var (_, asUser) = Run(Shell("id -u; id -G; grep -E '^Cap(Eff|Bnd)' /proc/self/status") with
        {
            Identity = (1000, 1001),
            Capabilities = 1UL << 0,
            NoNewPrivileges = true,
        });
        var (_, asRoot) = Run(Shell("grep -E '^Cap(Eff|Bnd)|NoNewPrivs' /proc/self/status") with { Capabilities = (1UL << 0) | (1UL << 5) });

        Assert.Equal("1000\n1001\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000001\n", asUser);
        Assert.Equal("CapBnd:\t0000000000000021\nCapEff:\t0000000000000021\nNoNewPrivs:\t0\n", Sorted(asRoot));
    }

    [Fact]
    public void WorkingDirectoryAndSession_AreSet()
    {
        var (code, output) = Run(Shell("pwd; [ \"$(ps -o sid= -p $$ 2>/dev/null || cut -d' ' -f6 /proc/$$/stat)\" -eq $$ ] && echo leader") with
        {
            WorkingDirectory = "/tmp",
            NewSession = true,
        });

        Assert.Equal(0, code);
        Assert.Equal("/tmp\nleader\n", output);
    }

    [Fact]
    public async Task ManySpawns_WhileOtherThreadsAllocate_AllSucceed()
    {
        using var stop = new CancellationTokenSource();
        var churn = Task.Run(() =>
        {
            var keep = new List<byte[]>();
            while (!stop.IsCancellationRequested)
            {
                keep.Add(new byte[10_000]);
                if (keep.Count > 1000)
                    keep.Clear();
            }
        });
        var spawns = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
                Assert.Equal(0, Run(new SpawnOptions { Path = "/bin/true", Arguments = ["true"] }).ExitCode);
        }));

        await Task.WhenAll(spawns);
        await stop.CancelAsync();
        await churn;
    }

    private static string Sorted(string lines) => string.Join('\n', lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)) + "\n";
}
