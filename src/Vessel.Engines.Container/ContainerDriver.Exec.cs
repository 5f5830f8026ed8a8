using Microsoft.Win32.SafeHandles;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Cgroups;
using Vessel.Engines.Container.Init;
using Vessel.Linux;
using Vessel.Linux.Spawn;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    // User first: joining the others needs the capabilities that joining the container's user namespace gives.
    // The pid namespace is not joined but born in (SpawnOptions.PidNamespace).
    private static readonly string[] Namespaces = ["user", "mnt", "uts", "ipc", "net", "cgroup"];

    public Task<IExecSession> ExecAsync(InstanceContext context, ExecRequest request, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        var state = RunningState(context) ?? throw new ConflictException($"cannot exec in container \"{name}\": it is not running");
        var cgroup = CgroupOf(context);
        if (cgroup.IsFrozen)
            throw new ConflictException($"cannot exec in container \"{name}\": it is paused");
        if (request.Command.Count == 0)
            throw new BadRequestException("command: at least the program is required");
        var root = $"/proc/{state.InitPid}/root";
        var program = Resolve(root, request.Command[0])
            ?? throw new BadRequestException($"command: \"{request.Command[0]}\" not found in the container's PATH");
        // RawSpawn tries again when a child got stuck before its exec: nothing ran in the container then.
        return Task.FromResult(StartExec(context, request, state, cgroup, root, program));
    }

    private static IExecSession StartExec(InstanceContext context, ExecRequest request, ShimState state, ICgroup cgroup, string root, string program)
    {
        var name = context.Instance.Name;
        using var pidNamespace = Fds.Open($"/proc/{state.InitPid}/ns/pid");
        var namespaces = new List<SafeFileHandle>();
        var parentEnds = new List<SafeFileHandle>();
        var childEnds = new List<SafeFileHandle>();
        try
        {
            foreach (var ns in Namespaces.Where(ns => ns != "user" || !Privileged(context.Instance)))
                namespaces.Add(Fds.Open($"/proc/{state.InitPid}/ns/{ns}"));
            (int, int)[] fds;
            SafeFileHandle? terminal = null;
            if (request.Terminal)
            {
                var (master, slave) = Pty.OpenIn(root);
                terminal = master;
                parentEnds.Add(master);
                childEnds.Add(slave);
                fds = [(Fds.Number(slave), 0), (Fds.Number(slave), 1), (Fds.Number(slave), 2)];
            }
            else
            {
                var (stdinRead, stdinWrite) = Fds.Pipe();
                var (stdoutRead, stdoutWrite) = Fds.Pipe();
                var (stderrRead, stderrWrite) = Fds.Pipe();
                parentEnds.AddRange([stdinWrite, stdoutRead, stderrRead]);
                childEnds.AddRange([stdinRead, stdoutWrite, stderrWrite]);
                fds = [(Fds.Number(stdinRead), 0), (Fds.Number(stdoutWrite), 1), (Fds.Number(stderrWrite), 2)];
            }

            // The child enters the container's cgroup itself and execs before Start returns.
            using var entry = cgroup.OpenEntry();
            int pid;
            try
            {
                using var child = RawSpawn.Start(entry.AddTo(new SpawnOptions
                {
                    Path = program,
                    Arguments = request.Command,
                    Environment = [.. request.FullEnvironment(ContainerEnvironment)],
                    JoinNamespaces = [.. namespaces.Select(Fds.Number)],
                    PidNamespace = Fds.Number(pidNamespace),
                    NewSession = true,
                    ControllingTerminal = request.Terminal,
                    Fds = fds,
                    WorkingDirectory = request.WorkingDirectory ?? (request.User == 0 ? "/root" : "/"),
                    Capabilities = ContainerInit.DefaultCapabilities,
                    Identity = (request.User, request.Group),
                    NoNewPrivileges = true,
                    SeccompFilter = ContainerSeccomp.Filter(),
                }));
                pid = child.Pid;
            }
            catch (LinuxException e) when (e.Call.EndsWith(": Execve", StringComparison.Ordinal) || e.Call.EndsWith(": WorkingDirectory", StringComparison.Ordinal)
                || e.Call.EndsWith(": SetUid", StringComparison.Ordinal) || e.Call.EndsWith(": SetGid", StringComparison.Ordinal))
            {
                throw new BadRequestException($"cannot run {request.Command[0]} in container \"{name}\": {e.Message}");
            }
            foreach (var end in childEnds)
                end.Dispose();
            var exited = Task.Factory.StartNew(() => Processes.WaitForExit(pid), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return terminal is not null
                ? new ExecSession(new FileStream(terminal, FileAccess.ReadWrite, 0), null, null, exited, terminal, pid)
                : new ExecSession(new FileStream(parentEnds[0], FileAccess.Write, 0), new FileStream(parentEnds[1], FileAccess.Read, 0),
                    new FileStream(parentEnds[2], FileAccess.Read, 0), exited, null, pid);
        }
        catch
        {
            foreach (var end in parentEnds.Concat(childEnds))
                end.Dispose();
            throw;
        }
        finally
        {
            foreach (var ns in namespaces)
                ns.Dispose();
        }
    }

    private static readonly Dictionary<string, string> ContainerEnvironment = new() { ["container"] = "vessel" };

    /// <summary>The program's path inside the container: as given when it has a slash, else found on the default PATH.</summary>
    private static string? Resolve(string root, string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
            return program;
        // Looked at through /proc/PID/root: an entry that is a symlink counts even if its target resolves only inside.
        return ExecRequest.SearchPath.Select(dir => $"{dir}/{program}")
            .FirstOrDefault(candidate => new FileInfo(root + candidate) is { } file && (file.Exists || file.LinkTarget is not null));
    }

    private sealed class ExecSession(Stream inputOrTerminal, Stream? output, Stream? error, Task<int> exited, SafeFileHandle? terminal, int pid)
        : IExecSession
    {
        public void Kill()
        {
            if (!exited.IsCompleted)
                Processes.TryKill(pid, Signals.Kill);
        }

        public Stream Input => inputOrTerminal;
        public Stream Output => output ?? inputOrTerminal;
        public Stream? Error => error;
        public Task<int> Exited => exited;

        public void Resize(int columns, int rows)
        {
            if (terminal is not null)
                Pty.Resize(terminal, columns, rows);
        }

        public async ValueTask DisposeAsync()
        {
            await inputOrTerminal.DisposeAsync();
            if (output is not null)
                await output.DisposeAsync();
            if (error is not null)
                await error.DisposeAsync();
        }
    }
}
