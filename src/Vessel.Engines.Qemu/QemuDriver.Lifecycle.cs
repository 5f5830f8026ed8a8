using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Engines.Qemu.Qmp;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    private static readonly TimeSpan QuitWait = TimeSpan.FromSeconds(3), PressAgain = TimeSpan.FromSeconds(3);

    public async Task StopAsync(InstanceContext context, TimeSpan timeout, bool force, CancellationToken cancellationToken)
    {
        var name = context.Instance.Name;
        var paths = PathsOf(context);
        if (RunningState(paths) is not { } state)
        {
            await ReleaseAsync(name);
            RemoveRunFiles(paths);
            return;
        }
        Vm? vm = null;
        try
        {
            vm = await AdoptAsync(name, paths, state, cancellationToken);
        }
        catch (VesselException)
        {
            // No monitor: nothing to ask politely; the kill below still works.
        }
        // From here on the end is asked for: it is not a stop "by itself".
        _vms.TryRemove(name, out _);
        if (vm is not null)
        {
            try
            {
                if (!force)
                {
                    if (await QueryStatusAsync(vm.Monitor, cancellationToken) == "paused")
                        await vm.Monitor.ExecuteAsync("cont", cancellationToken: cancellationToken); // a paused guest cannot see the button
                    // The button is pressed again every few seconds: a guest still booting (its acpid not yet listening)
                    // misses a press, as a person at the machine would press again.
                    var deadline = DateTime.UtcNow + timeout;
                    while (ProcStat.IsAlive(state.Pid, state.StartTime) && DateTime.UtcNow < deadline)
                    {
                        await vm.Monitor.ExecuteAsync("system_powerdown", cancellationToken: cancellationToken);
                        var left = deadline - DateTime.UtcNow;
                        await ProcStat.WaitForExitAsync(state.Pid, state.StartTime, left < PressAgain ? left : PressAgain, cancellationToken);
                    }
                }
                if (ProcStat.IsAlive(state.Pid, state.StartTime))
                {
                    await vm.Monitor.ExecuteAsync("quit", cancellationToken: cancellationToken);
                    await ProcStat.WaitForExitAsync(state.Pid, state.StartTime, QuitWait, cancellationToken);
                }
            }
            catch (Exception e) when (e is QmpException or QmpClosedException or TimeoutException)
            {
                // QEMU is going, or its monitor is stuck: SIGKILL below.
            }
            await vm.Monitor.DisposeAsync();
        }
        if (ProcStat.IsAlive(state.Pid, state.StartTime))
            await KillAndWaitAsync(state);
        await ReleaseAgentAsync(name);
        RemoveRunFiles(paths);
        TrimConsoleLog(paths);
    }

    private static async Task KillAndWaitAsync(QemuState state)
    {
        try
        {
            Processes.Kill(state.Pid, 9 /* SIGKILL */);
        }
        catch (LinuxException)
        {
            return; // gone already
        }
        await ProcStat.WaitForExitAsync(state.Pid, state.StartTime, QuitWait, CancellationToken.None);
    }

    /// <summary>For a failed start: the pid is fresh from the pid file, its start time not recorded yet.</summary>
    private static async Task KillAndWait(int pid)
    {
        if (ProcStat.StartTime(pid) is { } startTime)
            await KillAndWaitAsync(new QemuState { Pid = pid, StartTime = startTime, MemoryBytes = 0 });
    }

    public async Task FreezeAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var vm = await MonitorOfAsync(context, cancellationToken);
        await vm.Monitor.ExecuteAsync("stop", cancellationToken: cancellationToken);
    }

    public async Task UnfreezeAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var vm = await MonitorOfAsync(context, cancellationToken);
        await vm.Monitor.ExecuteAsync("cont", cancellationToken: cancellationToken);
    }

    public async Task DeleteAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        var paths = PathsOf(context);
        if (RunningState(paths) is not null)
            throw new ConflictException($"virtual machine {context.Instance.Name} is still running");
        await ReleaseAsync(context.Instance.Name);
        if (Directory.Exists(paths.RunDirectory))
            Directory.Delete(paths.RunDirectory, recursive: true);
        var logs = Path.GetDirectoryName(paths.ConsoleLog)!;
        if (Directory.Exists(logs))
            Directory.Delete(logs, recursive: true);
    }

    // Config

    /// <summary>limits.cpu through vCPU hotplug (q35), limits.memory through the balloon; everything is checked before anything changes.</summary>
    public async Task ApplyConfigAsync(InstanceContext context, IReadOnlyDictionary<string, string> previousConfig, CancellationToken cancellationToken)
    {
        var config = context.Instance.Config;
        bool Changed(string key) => config.GetValueOrDefault(key) != previousConfig.GetValueOrDefault(key);
        // QEMU cannot add or remove a VNC display while it runs, and moves only its first one (display-update).
        foreach (var key in new[] { MachineTypes.MachineKey, MachineTypes.AccelKey, VncDisplay.AddressKey }.Where(Changed))
            throw new NotSupportedYetException($"{key} cannot change while the virtual machine runs; stop it first");
        var machine = QemuMachine.For(context.Instance.Architecture, config);
        if (Changed("limits.cpu") && !machine.CpuHotplug)
            throw new NotSupportedYetException($"limits.cpu cannot change while a virtual machine on a {machine.Name} machine runs (only q35 has vCPU hotplug); stop it first");
        if (!Changed("limits.cpu") && !Changed("limits.memory"))
            return;
        var vm = await MonitorOfAsync(context, cancellationToken);
        var memory = QemuLaunch.MemoryFromConfig(config, HostResources.Current);
        if (Changed("limits.memory") && memory > vm.State.MemoryBytes)
            throw new NotSupportedYetException($"limits.memory: the virtual machine booted with {Sizes.Format(vm.State.MemoryBytes)}; " +
                "the balloon can only give memory back up to that, more needs a restart");
        if (Changed("limits.cpu"))
        {
            if (await QueryStatusAsync(vm.Monitor, cancellationToken) != "running")
                throw new ConflictException($"limits.cpu: virtual machine {context.Instance.Name} is paused, and only a running guest can take vCPUs in or let them go; resume it first");
            await SetCpusAsync(vm, PathsOf(context), QemuLaunch.CpusFromConfig(config, HostResources.Current), cancellationToken);
        }
        if (!Changed("limits.memory"))
            return;
        try
        {
            await vm.Monitor.ExecuteAsync("balloon", new JsonObject { ["value"] = memory }, cancellationToken: cancellationToken);
        }
        catch (QmpException e) when (e.ErrorClass == "DeviceNotActive")
        {
            throw new NotSupportedYetException($"limits.memory cannot change live: the virtual machine has no active balloon ({e.Description})");
        }
    }

    // State

    public async Task<RuntimeState> GetStateAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var paths = PathsOf(context);
        if (RunningState(paths) is not { } state)
            return new RuntimeState(InstanceStatus.Stopped);
        var usage = new InstanceUsage
        {
            CpuSeconds = ProcessUsage.CpuSeconds(state.Pid),
            MemoryBytes = ProcessUsage.ResidentBytes(state.Pid),
            MemoryPeakBytes = ProcessUsage.PeakResidentBytes(state.Pid),
        };
        string status;
        try
        {
            var vm = await AdoptAsync(context.Instance.Name, paths, state, cancellationToken);
            status = await QueryStatusAsync(vm.Monitor, cancellationToken);
        }
        catch (Exception e) when (e is VesselException or QmpException or QmpClosedException or TimeoutException)
        {
            return new RuntimeState(InstanceStatus.Error, state.Pid, usage); // QEMU runs but its monitor does not answer
        }
        return new RuntimeState(StatusOf(status), state.Pid, usage, Machine: state.Machine, VncAddress: state.VncAddress);
    }

    /// <summary>
    /// The blocks the qcow2 overlay holds on the host: what the guest wrote over its image, the internal snapshots (with
    /// their saved memory) and qcow2's metadata. A kernel-only VM has no disk.
    /// </summary>
    public Task<long?> GetDiskUsageAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        return Task.FromResult(File.Exists(disk) ? DiskUsage.OfFile(disk) : (long?)null);
    }

    /// <summary>QEMU's run state (query-status): running, paused, shutdown, guest-panicked, internal-error, …</summary>
    internal static async Task<string> QueryStatusAsync(QmpClient monitor, CancellationToken cancellationToken)
    {
        var result = await monitor.ExecuteAsync("query-status", cancellationToken: cancellationToken);
        return result.GetProperty("status").GetString() ?? "";
    }

    internal static InstanceStatus StatusOf(string qemuStatus) => qemuStatus switch
    {
        "paused" or "suspended" => InstanceStatus.Frozen,
        "shutdown" => InstanceStatus.Stopping,
        "internal-error" or "io-error" or "guest-panicked" => InstanceStatus.Error,
        _ => InstanceStatus.Running, // running, and the transitional migrate/save/restore/debug states
    };

    /// <summary>QEMU's run state for tests and diagnostics.</summary>
    internal async Task<string> QueryStatusAsync(InstanceContext context, CancellationToken cancellationToken) =>
        await QueryStatusAsync((await MonitorOfAsync(context, cancellationToken)).Monitor, cancellationToken);
}
