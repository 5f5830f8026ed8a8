using System.Collections.Concurrent;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qmp;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A running VM this driver holds the monitor of. LastShutdown is the reason of QEMU's SHUTDOWN event, once seen.</summary>
    private sealed class Vm(string name, QemuPaths paths, QemuState state, QmpClient monitor)
    {
        public string Name { get; } = name;
        public QemuPaths Paths { get; } = paths;
        public QemuState State { get; } = state;
        public QmpClient Monitor { get; } = monitor;
        public volatile string? LastShutdown;
        public bool Alive => ProcStat.IsAlive(State.Pid, State.StartTime);
    }

    private readonly ConcurrentDictionary<string, Vm> _vms = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _adopting = new();
    private Timer? _watch;

    /// <summary>The running QEMU of this run directory, or null: the state file says who it is, the start time proves it still runs.</summary>
    private static QemuState? RunningState(QemuPaths paths) =>
        QemuState.Read(paths) is { } state && ProcStat.IsAlive(state.Pid, state.StartTime) ? state : null;

    /// <summary>
    /// The VM's monitor connection: the one this driver holds, or a new one to a QEMU that runs without it (just
    /// started, or re-adopted after a daemon restart). From then on its events are watched and Stopped is raised
    /// once when it ends by itself.
    /// </summary>
    private async Task<Vm> AdoptAsync(string name, QemuPaths paths, QemuState state, CancellationToken cancellationToken)
    {
        var gate = _adopting.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_vms.TryGetValue(name, out var held) && held.State.IsSameProcess(state) && !held.Monitor.Closed.IsCompleted)
                return held;
            if (held is not null && _vms.TryRemove(name, out _))
                await held.Monitor.DisposeAsync();
            QmpClient monitor;
            try
            {
                monitor = await QmpClient.ConnectAsync(paths.Qmp, MonitorTimeout, cancellationToken);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                throw new VesselException(500, $"the monitor of virtual machine {name} (QEMU pid {state.Pid}) does not answer: {e.Message}");
            }
            var vm = new Vm(name, paths, state, monitor);
            _vms[name] = vm;
            TrimConsoleLog(paths); // it may have grown while no daemon watched
            RestoreCpus(paths, state.Pid); // a daemon killed during a save or load left it on one CPU
            _ = Task.Run(() => WatchEventsAsync(vm), CancellationToken.None);
            _watch ??= new Timer(_ => Poll(), null, WatchInterval, WatchInterval);
            return vm;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<Vm> MonitorOfAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var paths = PathsOf(context);
        var state = RunningState(paths) ?? throw new ConflictException($"virtual machine {context.Instance.Name} is not running");
        return await AdoptAsync(context.Instance.Name, paths, state, cancellationToken);
    }

    /// <summary>Forgets a VM without raising Stopped (a stop this driver was asked for) and closes its monitor and agent connections.</summary>
    internal async Task ReleaseAsync(string name)
    {
        if (_vms.TryRemove(name, out var vm))
            await vm.Monitor.DisposeAsync();
        await ReleaseAgentAsync(name);
    }

    private async Task WatchEventsAsync(Vm vm)
    {
        await foreach (var e in vm.Monitor.Events.ReadAllAsync())
        {
            if (e.Name == "SHUTDOWN")
                vm.LastShutdown = e.DataString("reason") ?? "unknown";
        }
        // The connection ended: QEMU exited, or this driver closed it (then the VM is no longer in _vms).
        for (var i = 0; i < 40 && vm.Alive; i++)
            await Task.Delay(25);
        if (!vm.Alive)
            Ended(vm);
    }

    /// <summary>
    /// Each tick: keeps console logs under their limit, and is the safety net for a VM whose QEMU is gone without a
    /// monitor event (killed, or its monitor failed).
    /// </summary>
    private void Poll()
    {
        foreach (var vm in _vms.Values)
        {
            TrimConsoleLog(vm.Paths);
            if (!vm.Alive)
                Ended(vm);
        }
    }

    private void TrimConsoleLog(QemuPaths paths)
    {
        try
        {
            ConsoleLog.Trim(paths.ConsoleLog, consoleLogLimit);
        }
        catch (IOException)
        {
            // Tried again at the next tick; the console itself goes on.
        }
    }

    private void Ended(Vm vm)
    {
        if (!_vms.TryRemove(new KeyValuePair<string, Vm>(vm.Name, vm)))
            return;
        _ = vm.Monitor.DisposeAsync().AsTask();
        _ = ReleaseAgentAsync(vm.Name);
        RemoveRunFiles(vm.Paths);
        TrimConsoleLog(vm.Paths); // what it printed last
        var reason = vm.LastShutdown switch
        {
            "guest-shutdown" => "the guest powered off",
            "guest-reset" => "the guest reset",
            "guest-panic" => "the guest kernel panicked",
            "host-signal" => "QEMU was stopped by a signal",
            "host-qmp-quit" => "QEMU was told to quit",
            null => "QEMU exited",
            var other => $"QEMU shut down ({other})",
        };
        Stopped?.Invoke(this, new InstanceStoppedEventArgs(vm.Name, reason));
    }
}
