using System.Collections.Concurrent;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Shim;
using Vessel.Linux;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(250);

    private sealed record Watched(string RunDirectory, int ShimPid);

    private readonly ConcurrentDictionary<string, Watched> _watched = new();
    private Timer? _watch;

    /// <summary>Keeps an eye on a running container: when its init ends on its own, Stopped is raised once.</summary>
    private void Track(string name, string runDirectory, int shimPid)
    {
        _watched[name] = new Watched(runDirectory, shimPid);
        _watch ??= new Timer(_ => Poll(), null, WatchInterval, WatchInterval);
    }

    private void Untrack(string name) => _watched.TryRemove(name, out _);

    private void Poll()
    {
        foreach (var (name, watched) in _watched)
        {
            Processes.TryReap(watched.ShimPid, out _); // our child when this daemon started it
            var state = ContainerShim.ReadState(watched.RunDirectory);
            if (state is { Running: true } && ProcStat.IsAlive(state.InitPid, state.InitStartTime))
                continue;
            if (!_watched.TryRemove(name, out _))
                continue;
            Stopped?.Invoke(this, new InstanceStoppedEventArgs(name, EndOf(state) ?? "init is gone"));
        }
    }
}
