using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using Vessel.Core.Drivers;
using Vessel.Engines.Container.Shim;
using Vessel.Linux;

namespace Vessel.Engines.Container;

public sealed partial class ContainerDriver
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(500);

    // Processes are watched through pidfds (null: already gone): one poll(2) per interval says which of them ended,
    // however many containers run.
    private sealed record Watched(string RunDirectory, ShimState State, SafeFileHandle? InitExited);

    private readonly Lock _watchLock = new();
    private readonly Dictionary<string, Watched> _watched = [];
    // Shims this daemon started are its children: every one is reaped (by the watch, or where a start or stop waits
    // for it), so that none stays a zombie. Adopted shims belong to the daemon that started them, or to init.
    private readonly Dictionary<int, SafeFileHandle?> _children = [];
    // Exit codes of shims the watch reaped, for a start that waits for its shim and would otherwise never see it end.
    private readonly ConcurrentDictionary<int, int> _reaped = new();
    private Timer? _watch;

    /// <summary>Keeps an eye on a running container: when its init ends on its own, Stopped is raised once.</summary>
    private void Track(string name, string runDirectory, ShimState running)
    {
        var exited = OpenPidfd(running.InitPid);
        // The pid may name another process by now: then the init is gone.
        if (exited is not null && !ProcStat.IsAlive(running.InitPid, running.InitStartTime))
        {
            exited.Dispose();
            exited = null;
        }
        lock (_watchLock)
        {
            if (_watched.Remove(name, out var old))
                old.InitExited?.Dispose();
            _watched[name] = new Watched(runDirectory, running, exited);
            _watch ??= new Timer(_ => Poll(), null, WatchInterval, WatchInterval);
        }
    }

    private void AddChild(int shimPid)
    {
        var exited = OpenPidfd(shimPid);
        lock (_watchLock)
        {
            _children[shimPid] = exited;
            _watch ??= new Timer(_ => Poll(), null, WatchInterval, WatchInterval);
        }
    }

    private static SafeFileHandle? OpenPidfd(int pid)
    {
        try
        {
            return Processes.OpenPidfd(pid);
        }
        catch (LinuxException)
        {
            return null; // ESRCH: it has been reaped already
        }
    }

    private bool TryReap(int shimPid, out int exitCode)
    {
        if (_reaped.TryRemove(shimPid, out exitCode))
            return true;
        if (!Processes.TryReap(shimPid, out exitCode))
            return false;
        lock (_watchLock)
            ForgetChild(shimPid);
        return true;
    }

    private void ForgetChild(int shimPid)
    {
        if (_children.Remove(shimPid, out var exited))
            exited?.Dispose();
    }

    private void Untrack(string name)
    {
        lock (_watchLock)
        {
            if (_watched.Remove(name, out var watched))
                watched.InitExited?.Dispose();
        }
    }

    private void Poll()
    {
        var stopped = new List<InstanceStoppedEventArgs>();
        lock (_watchLock)
        {
            var children = _children.ToArray();
            var watched = _watched.ToArray();
            var entries = new FdPoll.Entry[children.Length + watched.Length];
            for (var i = 0; i < children.Length; i++)
                entries[i] = new(children[i].Value is { } fd ? Fds.Number(fd) : -1, FdPoll.In);
            for (var i = 0; i < watched.Length; i++)
                entries[children.Length + i] = new(watched[i].Value.InitExited is { } fd ? Fds.Number(fd) : -1, FdPoll.In);
            FdPoll.Wait(entries, 0);

            for (var i = 0; i < children.Length; i++)
            {
                var (shimPid, exited) = children[i];
                if ((exited is null || entries[i].Returned != 0) && Processes.TryReap(shimPid, out var exitCode))
                {
                    ForgetChild(shimPid);
                    _reaped[shimPid] = exitCode;
                }
            }
            for (var i = 0; i < watched.Length; i++)
            {
                var (name, container) = watched[i];
                if (container.InitExited is not null && entries[children.Length + i].Returned == 0)
                    continue;
                var shimPid = container.State.ShimPid;
                if (_children.ContainsKey(shimPid) && Processes.TryReap(shimPid, out _))
                    ForgetChild(shimPid);
                var state = ContainerShim.ReadState(container.RunDirectory);
                if (state is { Running: true } && ProcStat.IsRunning(shimPid))
                    continue; // the shim is about to record how the init ended
                _watched.Remove(name);
                container.InitExited?.Dispose();
                stopped.Add(new InstanceStoppedEventArgs(name, EndOf(state) ?? "init is gone"));
            }
        }
        foreach (var e in stopped)
            Stopped?.Invoke(this, e);
    }
}
