using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Vessel.Engines.Container.Cgroups;
using Vessel.Engines.Container.Init;
using Vessel.Linux;
using Vessel.Linux.Spawn;

namespace Vessel.Engines.Container.Shim;

/// <summary>
/// The per-container supervisor (vessel-shim run DIR). It starts the container's init as its own child in
/// new namespaces, holds the console pty and its log, serves console.sock (all on its one thread), records how
/// the init ended in state.json and then exits. It runs in its own session, so the daemon may die and come back meanwhile.
/// </summary>
public static class ContainerShim
{
    public const string SpecFile = "spec.json", StateFile = "state.json", ConsoleSocket = "console.sock";
    /// <summary>The write end of vesseld's pipe, closed once the state file says how the start went: the daemon waits for that.</summary>
    public const int StartedFd = 3;
    private const long ConsoleLogLimit = 1 << 20;
    private const int TtyGroup = 5;

    public static int Run(string runDirectory)
    {
        var statePath = Path.Combine(runDirectory, StateFile);
        using var started = new SafeFileHandle(StartedFd, ownsHandle: true);
        Fds.SetCloseOnExec(StartedFd); // the container's processes must not hold vesseld's wait open
        try
        {
            var spec = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(runDirectory, SpecFile)), ContainerJson.Default.ContainerSpec)
                ?? throw new InvalidDataException("empty container spec");
            var (master, slavePath) = Pty.Open();
            if (!spec.Privileged) // the container's root must be able to open its own console
                Ownership.Set(slavePath, (int)spec.Idmap.Base, (int)spec.Idmap.Base + TtyGroup);
            using var slave = Pty.OpenSlave(slavePath);
            var (initPid, startTime) = StartInit(spec, runDirectory, slave);
            WriteState(statePath, new ShimState
            {
                ShimPid = Environment.ProcessId, InitPid = initPid, InitStartTime = startTime, Running = true, ConsolePath = slavePath,
            });
            started.Dispose();

            using var console = new ConsoleRelay(master, spec.ConsoleLog, ConsoleLogLimit);
            console.Start(Path.Combine(runDirectory, ConsoleSocket));
            using (var exited = Processes.OpenPidfd(initPid))
            {
                // From here on the shim relays, for as long as the container runs: give back what starting took.
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                console.RunUntil(exited);
            }
            var exitCode = Processes.WaitForExit(initPid);
            WriteState(statePath, new ShimState { ShimPid = Environment.ProcessId, InitPid = initPid, InitStartTime = startTime, ExitCode = exitCode });
            File.Delete(Path.Combine(runDirectory, ConsoleSocket));
            return 0;
        }
        catch (Exception e)
        {
            WriteState(statePath, new ShimState { ShimPid = Environment.ProcessId, Error = e.Message });
            Console.Error.WriteLine($"vessel-shim: {e}");
            return 1;
        }
    }

    private static (int Pid, long StartTime) StartInit(ContainerSpec spec, string runDirectory, SafeFileHandle slave)
    {
        using var specFile = Fds.Open(Path.Combine(runDirectory, SpecFile));
        using var self = Fds.Open("/proc/self/exe");
        var (statusRead, statusWrite) = Fds.Pipe();
        using var _ = statusRead;
        var flags = CloneFlags.NewNamespace | CloneFlags.NewPid | CloneFlags.NewUts | CloneFlags.NewIpc | CloneFlags.NewNet;
        if (!spec.Privileged)
            flags |= CloneFlags.NewUser;
        var slaveFd = Fds.Number(slave);
        SpawnedProcess child;
        using (statusWrite)
        using (var cgroup = Cgroup.Open(spec.CgroupPath, CgroupDetector.Detect()).OpenEntry())
        {
            child = RawSpawn.Start(cgroup.AddTo(new SpawnOptions
            {
                Path = "/proc/self/exe",
                ExecFd = Fds.Number(self),
                Arguments = ["vessel-shim", "init"],
                Flags = flags,
                WaitForRelease = true,
                Identity = (0, 0),
                NewSession = true,
                ControllingTerminal = true,
                Fds = [(slaveFd, 0), (slaveFd, 1), (slaveFd, 2), (Fds.Number(specFile), ContainerInit.SpecFd), (Fds.Number(statusWrite), ContainerInit.StatusFd)],
            }));
        }
        using (child)
        {
            try
            {
                if (!spec.Privileged)
                {
                    File.WriteAllText($"/proc/{child.Pid}/uid_map", spec.Idmap.MapLine);
                    File.WriteAllText($"/proc/{child.Pid}/gid_map", spec.Idmap.MapLine);
                }
                ContainerNics.CreateAsync(child.Pid, spec.Nics, CancellationToken.None).GetAwaiter().GetResult();
                ContainerNics.ConfigureAsync(child.Pid, spec.Nics, atStart: true, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch
            {
                child.Abort();
                throw;
            }
            child.WaitForExec();
        }
        // The helper reports a failure as text; at the exec of the container's init the pipe just closes.
        using var status = new StreamReader(new FileStream(statusRead, FileAccess.Read), Encoding.UTF8);
        var error = status.ReadToEnd();
        if (error.Length > 0)
        {
            Processes.WaitForExit(child.Pid);
            throw new InvalidOperationException(error);
        }
        return (child.Pid, ProcStat.StartTime(child.Pid) ?? throw new InvalidOperationException("the container's init exited at once"));
    }

    public static void WriteState(string path, ShimState state)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state, ContainerJson.Default.ShimState));
        File.Move(temporary, path, overwrite: true);
    }

    public static ShimState? ReadState(string runDirectory)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(runDirectory, StateFile)), ContainerJson.Default.ShimState);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }
}
