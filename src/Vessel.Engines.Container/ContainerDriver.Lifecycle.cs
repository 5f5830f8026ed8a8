using Microsoft.Win32.SafeHandles;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Engines.Container.Cgroups;
using Vessel.Engines.Container.Roots;
using Vessel.Engines.Container.Shim;
using Vessel.Linux;
using Vessel.Linux.Spawn;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);

    /// <summary>The container's cgroup: the one its last start used (recorded in its spec), else where a start would put it.</summary>
    private ICgroup CgroupOf(InstanceContext context) =>
        Cgroup.Open(ReadSpec(context)?.CgroupPath ?? CgroupPath(context.Instance.Name), Layout.Value);

    private static ContainerSpec? ReadSpec(InstanceContext context)
    {
        var path = Path.Combine(context.RunDirectory, ContainerShim.SpecFile);
        return File.Exists(path) ? System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(path), ContainerJson.Default.ContainerSpec) : null;
    }

    /// <summary>The running init, or null: the shim's state says who it is, the start time proves it is still that process.</summary>
    private static ShimState? RunningState(InstanceContext context) =>
        ContainerShim.ReadState(context.RunDirectory) is { Running: true } state && ProcStat.IsAlive(state.InitPid, state.InitStartTime)
            ? state
            : null;

    public async Task StopAsync(InstanceContext context, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var cgroup = CgroupOf(context);
        if (RunningState(context) is { } state)
        {
            if (cgroup.IsFrozen)
                cgroup.Thaw(); // a frozen task cannot act on a signal, not even SIGKILL
            if (!force)
            {
                Processes.TryKill(state.InitPid, ReadSpec(context)?.StopSignal ?? Signals.Pwr);
                await ProcStat.WaitForExitAsync(state.InitPid, state.InitStartTime, timeout, cancellationToken);
            }
            if (ProcStat.IsAlive(state.InitPid, state.InitStartTime))
            {
                Processes.TryKill(state.InitPid, Signals.Kill);
                await ProcStat.WaitForExitAsync(state.InitPid, state.InitStartTime, ExitWait, cancellationToken);
            }
        }
        // Processes that joined later (exec) are not in the init's pid tree only if they escaped it; kill what is left.
        cgroup.KillAll();
        cgroup.Delete();
        await WaitForShimAsync(context, cancellationToken);
    }

    /// <summary>How the container's last run ended, as the shim recorded it.</summary>
    private static string? EndOf(ShimState? state) => state switch
    {
        { ExitCode: { } code } => $"init exited with code {code}",
        { Error: { } error } => $"start failed: {error}",
        { Running: true } => "init is gone",
        _ => null,
    };

    /// <summary>Waits until the shim, which records the end before it exits, is gone, so a new start finds no old state.</summary>
    private async Task WaitForShimAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ExitWait;
        while (DateTime.UtcNow < deadline)
        {
            var state = ContainerShim.ReadState(context.RunDirectory);
            var shimPid = state?.ShimPid ?? 0;
            if (shimPid != 0)
                TryReap(shimPid, out _);
            if (state is null || shimPid == 0 || !ProcStat.IsRunning(shimPid))
            {
                Untrack(context.Instance.Name);
                return;
            }
            cancellationToken.ThrowIfCancellationRequested();
            await Processes.WaitForExitAsync(shimPid, deadline - DateTime.UtcNow);
        }
    }

    public Task FreezeAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        CgroupOf(context).Freeze();
        return Task.CompletedTask;
    }

    public Task UnfreezeAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        CgroupOf(context).Thaw();
        return Task.CompletedTask;
    }

    public Task DeleteAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        if (RunningState(context) is not null)
            throw new ConflictException($"container {context.Instance.Name} is still running");
        Untrack(context.Instance.Name);
        var cgroup = CgroupOf(context);
        if (cgroup.Processes().Count > 0)
            cgroup.KillAll();
        cgroup.Delete();
        if (Directory.Exists(context.RunDirectory))
            Directory.Delete(context.RunDirectory, recursive: true);
        var logs = Path.GetDirectoryName(context.ConsoleLog)!;
        if (Directory.Exists(logs))
            Directory.Delete(logs, recursive: true);
        return Task.CompletedTask;
    }

    // Config

    public Task ApplyConfigAsync(InstanceContext context, IReadOnlyDictionary<string, string> previousConfig, CancellationToken cancellationToken)
    {
        var config = context.Instance.Config;
        foreach (var key in new[] { "security.privileged", "security.nesting" })
        {
            if (config.GetValueOrDefault(key) != previousConfig.GetValueOrDefault(key))
                throw new NotSupportedYetException($"{key} cannot change while the container runs; stop it first");
        }
        ApplyLimits(CgroupOf(context), config);
        return Task.CompletedTask;
    }

    /// <summary>Writes the config's limits, or none of them when the host cannot apply one the config sets.</summary>
    private static void ApplyLimits(ICgroup cgroup, IReadOnlyDictionary<string, string> config)
    {
        var limits = LimitsFromConfig.Parse(config, HostResources.Current);
        LimitsFromConfig.CheckApplicable(limits, () => cgroup.CanApply(BlockSchedulers.SysBlock));
        cgroup.Apply(limits);
    }

    // Nics

    public Task AttachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken) =>
        ContainerNics.AttachAsync(RunningPid(context), nic, cancellationToken);

    public Task DetachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken) =>
        ContainerNics.DetachAsync(RunningPid(context), nic, cancellationToken);

    // Disks

    public Task AttachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken)
    {
        var mount = VolumeMountOf(disk, context.Instance);
        using var tree = Mounts.OpenTree(mount.Source, mount.ReadOnly);
        return RunVolumeHotplugAsync(context, mount.Target, tree, attach: true, cancellationToken);
    }

    /// <summary>
    /// Unmounts the volume found at its path in the container without following any link there, and only once it proves
    /// to be the volume: the container's processes may have moved or replaced directories on the path, and another mount
    /// there (a masked /proc file) must not come off in its stead.
    /// </summary>
    public async Task DetachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken)
    {
        var mount = VolumeMountOf(disk, context.Instance);
        var cannot = $"cannot detach the volume at {mount.Target} in container {context.Instance.Name}";
        SafeFileHandle mounted;
        try
        {
            mounted = Fds.OpenDirectoryInRootWithoutLinks($"/proc/{RunningPid(context)}/root", mount.Target);
        }
        catch (LinuxException e)
        {
            throw new ConflictException($"{cannot}: {e.Message}; stop the container to detach it");
        }
        using (mounted)
        {
            using (var volume = Fds.Open(mount.Source, 0x210000 /* O_PATH|O_DIRECTORY */))
            {
                if (!Fds.SameFile(mounted, volume))
                    throw new ConflictException($"{cannot}: another directory is there now; stop the container to detach it");
            }
            await RunVolumeHotplugAsync(context, mount.Target, mounted, attach: false, cancellationToken);
        }
    }

    private static readonly string[] VolumeNamespaces = ["user", "mnt"];

    /// <summary>
    /// Attaches the detached tree at the target, or unmounts the mount whose root the handle is, in the container's user and
    /// mount namespaces, as its root.
    /// </summary>
    private async Task RunVolumeHotplugAsync(InstanceContext context, string target, SafeFileHandle mount, bool attach, CancellationToken cancellationToken)
    {
        var verb = attach ? "attach" : "detach";
        var pid = RunningPid(context);
        if (CgroupOf(context).IsFrozen)
            throw new ConflictException($"container {context.Instance.Name} is paused; resume it to change its volumes");
        var namespaces = VolumeNamespaces.Where(ns => ns != "user" || !Privileged(context.Instance)).Select(ns => Fds.Open($"/proc/{pid}/ns/{ns}")).ToList();
        try
        {
            int child;
            using (var spawned = RawSpawn.Start(new SpawnOptions
            {
                Path = $"{verb} {target}",
                Arguments = [],
                JoinNamespaces = [.. namespaces.Select(Fds.Number)],
                Identity = (0, 0),
                MountInsteadOfExec = attach ? (Fds.Number(mount), target) : null,
                UnmountInsteadOfExec = attach ? -1 : Fds.Number(mount),
            }))
                child = spawned.Pid;
            await Task.Run(() => Processes.WaitForExit(child), CancellationToken.None);
        }
        catch (LinuxException e)
        {
            throw new ConflictException($"cannot {verb} the volume at {target} in container {context.Instance.Name}: {e.Message}");
        }
        finally
        {
            foreach (var ns in namespaces)
                ns.Dispose();
        }
    }

    private static int RunningPid(InstanceContext context) =>
        RunningState(context)?.InitPid ?? throw new ConflictException($"container {context.Instance.Name} is not running");

    // State

    public Task<RuntimeState> GetStateAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        if (RunningState(context) is not { } state)
            return Task.FromResult(new RuntimeState(InstanceStatus.Stopped, Reason: EndOf(ContainerShim.ReadState(context.RunDirectory))));
        Track(context.Instance.Name, context.RunDirectory, state);
        var cgroup = CgroupOf(context);
        var status = cgroup.IsFrozen ? InstanceStatus.Frozen : InstanceStatus.Running;
        CgroupUsage usage;
        try
        {
            usage = cgroup.ReadUsage();
        }
        catch (CgroupException)
        {
            return Task.FromResult(new RuntimeState(status, state.InitPid)); // runs, but its usage cannot be read
        }
        var (rx, tx) = NetworkBytes(state.InitPid);
        return Task.FromResult(new RuntimeState(status, state.InitPid, new InstanceUsage
        {
            CpuSeconds = usage.CpuSeconds,
            MemoryBytes = usage.MemoryBytes,
            MemoryPeakBytes = usage.MemoryPeakBytes,
            Processes = usage.Processes,
            NetworkRxBytes = rx,
            NetworkTxBytes = tx,
        }));
    }

    public Task<long?> GetDiskUsageAsync(InstanceContext context, CancellationToken cancellationToken) =>
        ContainerRoot.Of(context).DiskBytesAsync(context, cancellationToken);

    /// <summary>Bytes through the container's interfaces other than loopback, from its network namespace's /proc/net/dev.</summary>
    private static (long Rx, long Tx) NetworkBytes(int pid)
    {
        long rx = 0, tx = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/net/dev").Skip(2))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0 || line[..colon].Trim() == "lo")
                    continue;
                var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                rx += long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
                tx += long.Parse(fields[8], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return (rx, tx);
    }
}
