namespace Vessel.Engines.Container.Cgroups;

/// <summary>Kills a cgroup's processes one by one, for hosts without cgroup.kill.</summary>
internal static class CgroupKiller
{
    /// <param name="canFreeze">Freeze first so that no process forks a new one between reading
    /// cgroup.procs and the last kill (what crun does); the kills land when the cgroup is thawed.</param>
    public static void KillEach(ICgroup cgroup, bool canFreeze, TimeSpan timeout)
    {
        var freezable = canFreeze;
        var gone = Poll.Until(() =>
        {
            var pids = cgroup.Processes();
            if (pids.Count == 0)
                return true;
            var frozen = freezable && TryFreeze(cgroup);
            freezable = frozen;
            try
            {
                foreach (var pid in frozen ? cgroup.Processes() : pids)
                    ProcessKill.Kill(pid);
            }
            finally
            {
                if (frozen)
                    cgroup.Thaw();
            }
            return false;
        }, timeout);
        if (!gone)
        {
            throw new CgroupException(
                $"processes {string.Join(", ", cgroup.Processes())} are still in cgroup {cgroup.Path} {timeout.TotalSeconds:0.#}s after SIGKILL");
        }
    }

    private static bool TryFreeze(ICgroup cgroup)
    {
        try
        {
            cgroup.Freeze();
            return true;
        }
        catch (CgroupException)
        {
            // A task stuck in the kernel can keep the cgroup FREEZING; kill without the freeze then.
            return false;
        }
    }
}
