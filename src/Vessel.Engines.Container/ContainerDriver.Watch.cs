using System.Collections.Concurrent;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Shim;
using Vessel.Linux;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

    private sealed record Watched(string RunDirectory, ShimState State);

    private readonly ConcurrentDictionary<string, Watched> _watched = new();
    // Shims this daemon started are its children: every one is reaped (by the watch, or where a start or stop waits
    // for it), so that none stays a zombie. Adopted shims belong to the daemon that started them, or to init.
    private readonly ConcurrentDictionary<int, bool> _children = new();
    private Timer? _watch;

    /// <summary>Keeps an eye on a running container: when its init ends on its own, Stopped is raised once.</summary>
    private void Track(string name, string runDirectory, ShimState running)
    {
        _watched[name] = new Watched(runDirectory, running);
        Watch();
    }

    private void Watch() => _watch ??= new Timer(_ => Poll(), null, WatchInterval, WatchInterval);

    private void AddChild(int shimPid)
    {
        _children[shimPid] = true;
        Watch();
    }

    // Exit codes of shims the watch reaped, for a start that waits for its shim and would otherwise never see it end.
    private readonly ConcurrentDictionary<int, int> _reaped = new();

    private bool TryReap(int shimPid, out int exitCode)
    {
        if (_reaped.TryRemove(shimPid, out exitCode))
            return true;
        if (!Processes.TryReap(shimPid, out exitCode))
            return false;
        _children.TryRemove(shimPid, out _);
        return true;
    }

    private void Untrack(string name) => _watched.TryRemove(name, out _);

    private void Poll()
    {
        foreach (var shimPid in _children.Keys)
        {
            if (Processes.TryReap(shimPid, out var exitCode) && _children.TryRemove(shimPid, out _))
                _reaped[shimPid] = exitCode;
        }
        foreach (var (name, watched) in _watched)
        {
            // One read of /proc/PID/stat per container while it runs; the state file only once its init is gone.
            if (ProcStat.IsAlive(watched.State.InitPid, watched.State.InitStartTime))
                continue;
            TryReap(watched.State.ShimPid, out _);
            var state = ContainerShim.ReadState(watched.RunDirectory);
            if (state is { Running: true } && ProcStat.IsRunning(watched.State.ShimPid))
                continue; // the shim is about to record how the init ended
            if (!_watched.TryRemove(name, out _))
                continue;
            Stopped?.Invoke(this, new InstanceStoppedEventArgs(name, EndOf(state) ?? "init is gone"));
        }
    }
}
