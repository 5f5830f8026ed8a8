namespace Vessel.Linux.Spawn;

/// <summary>
/// How to start a process with clone3: which namespaces it gets or joins, which fds it keeps, and the
/// identity, capabilities and seccomp filter it runs under. Everything is applied in the child between
/// clone3 and execve, in the order the fields are listed.
/// </summary>
public sealed record SpawnOptions
{
    /// <summary>The program, resolved in the mount namespace the child has at execve time.</summary>
    public required string Path { get; init; }
    /// <summary>An open fd of the program to run with execveat instead of <see cref="Path"/>: the child then needs
    /// no right to reach the program's directory (a container's root cannot see the run directory).</summary>
    public int ExecFd { get; init; } = -1;
    /// <summary>argv, argv[0] included.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>Namespaces to create (CLONE_NEW*).</summary>
    public CloneFlags Flags { get; init; }
    /// <summary>A cgroup2 directory fd the child starts in (clone3's CLONE_INTO_CGROUP); -1 leaves it in ours.</summary>
    public int CgroupFd { get; init; } = -1;
    /// <summary>
    /// A pid namespace (from /proc/PID/ns/pid) the child is born in: the calling thread enters it for the clone alone.
    /// setns into a pid namespace places only the caller's later children in it, so joining it in the child is no use.
    /// </summary>
    public int PidNamespace { get; init; } = -1;
    /// <summary>The child blocks before anything else until <see cref="SpawnedProcess.Release"/>, so the parent
    /// can write its uid/gid maps or move it into cgroups.</summary>
    public bool WaitForRelease { get; init; }

    /// <summary>
    /// Open v1 "tasks" files: the child writes "0" (itself) to each. A thread moving itself skips the kernel's global
    /// cgroup_threadgroup_rwsem, whose write lock waits out an RCU grace period (~6 ms here) when another process
    /// writes a pid to cgroup.procs. The child has one thread, so the thread is the process.
    /// </summary>
    public IReadOnlyList<int> CgroupTaskFds { get; init; } = [];

    /// <summary>Namespace fds (from /proc/PID/ns/*) to join with setns, in this order (user first).</summary>
    public IReadOnlyList<int> JoinNamespaces { get; init; } = [];
    public bool NewSession { get; init; }
    /// <summary>Make fd 0, a terminal, the controlling terminal (needs NewSession).</summary>
    public bool ControllingTerminal { get; init; }
    /// <summary>Fds the child gets at fixed numbers: (open fd in this process, number in the child). Others close at exec.</summary>
    public IReadOnlyList<(int Source, int Target)> Fds { get; init; } = [];
    public string? WorkingDirectory { get; init; }

    /// <summary>Capabilities kept in the bounding, permitted, effective and inheritable sets; null keeps all.</summary>
    public ulong? Capabilities { get; init; }
    /// <summary>Switch to this uid/gid (supplementary groups cleared); null keeps the current identity.</summary>
    public (uint Uid, uint Gid)? Identity { get; init; }
    public bool NoNewPrivileges { get; init; }
    /// <summary>A classic BPF program (struct sock_filter array) installed with seccomp(SECCOMP_SET_MODE_FILTER).</summary>
    public byte[]? SeccompFilter { get; init; }

    /// <summary>
    /// Instead of exec, once joined and switched to <see cref="Identity"/>: make Target's missing directories and attach
    /// the detached mount tree TreeFd there (move_mount); then exit 0. This is how a running container gets a volume: a
    /// multi-threaded process cannot enter its mount namespace, and the container's files need hold no program of ours.
    /// </summary>
    public (int TreeFd, string Target)? MountInsteadOfExec { get; init; }

    /// <summary>
    /// Instead of exec, once joined and switched to <see cref="Identity"/>: unmount (lazily) the mount whose root this
    /// O_PATH fd is, in the mount namespace joined; then exit 0. By fd, not path: the caller finds and checks the mount.
    /// </summary>
    public int UnmountInsteadOfExec { get; init; } = -1;
}
