namespace Vessel.Engines.Container.Cgroups;

/// <summary>
/// One container's cgroup, on whichever cgroup version the host runs (see <see cref="Cgroups.Open"/>).
/// </summary>
public interface ICgroup
{
    /// <summary>Path relative to each hierarchy root, such as vessel/web1.</summary>
    string Path { get; }

    // Lifetime

    /// <summary>Makes the cgroup, with every ancestor, in every hierarchy it needs; does nothing where it exists.</summary>
    void Create();

    /// <summary>Removes the cgroup (and any child cgroups) everywhere; tolerates one already gone.</summary>
    /// <exception cref="CgroupException">Processes are still in the cgroup.</exception>
    void Delete();

    /// <summary>
    /// Hands the cgroup2 directory (v2, or a hybrid host's unified hierarchy) to the container's root user, so that an
    /// init such as systemd can build its own tree below it; limits stay out of its reach.
    /// </summary>
    void Delegate(int uid, int gid);

    // Membership

    void AddProcess(int pid);

    /// <summary>What a process spawned with RawSpawn needs to start in this cgroup (faster than <see cref="AddProcess"/>).</summary>
    CgroupEntry OpenEntry();

    /// <summary>Process ids in the cgroup, ascending.</summary>
    IReadOnlyList<int> Processes();

    /// <summary>Kills every process in the cgroup and waits, for a bounded time, until none is left.</summary>
    void KillAll();

    // Limits and usage

    /// <summary>
    /// Writes every limit; safe to call again on a running cgroup. A null limit resets to unlimited. An optional limit
    /// the host has no file for is skipped: ask <see cref="CanApply"/> first when that must be an error.
    /// </summary>
    CgroupApplyResult Apply(CgroupLimits limits);

    /// <summary>
    /// Which optional limits <see cref="Apply"/> can write on this host so that they take effect, writing nothing: a BFQ
    /// weight counts only when a device under <paramref name="sysBlock"/> (/sys/block) is scheduled by BFQ.
    /// </summary>
    CgroupApplyResult CanApply(string sysBlock);

    CgroupUsage ReadUsage();

    // Freezing

    /// <summary>Stops every task and returns once all of them are frozen.</summary>
    void Freeze();

    void Thaw();

    bool IsFrozen { get; }
}
