namespace Vessel.Linux.Spawn;

/// <summary>A child started by RawSpawn, possibly still waiting to be released before it execs.</summary>
public sealed class SpawnedProcess : IDisposable
{
    private int _releaseFd;
    private int _errorFd;
    private readonly string _path;

    internal SpawnedProcess(int pid, int releaseFd, int errorFd, string path)
    {
        Pid = pid;
        _releaseFd = releaseFd;
        _errorFd = errorFd;
        _path = path;
    }

    public int Pid { get; }

    // Between release and exec a child makes a few system calls: seconds mean it is stuck (a copy taken while a GC had
    // the runtime's threads stopped waits for that GC forever at its first safepoint check).
    private static readonly TimeSpan ExecTimeout = TimeSpan.FromSeconds(3);


    /// <summary>Lets a child started with WaitForRelease go on to execve.</summary>
    public unsafe void Release()
    {
        if (_releaseFd < 0)
            return;
        byte go = 1;
        var written = Interop.Write(_releaseFd, &go, 1);
        CloseRelease();
        LinuxException.ThrowIfFailed((long)written, "release spawned child");
    }

    /// <summary>Waits until the child has exec'd; throws with the step that failed and its errno otherwise.</summary>
    public unsafe void WaitForExec()
    {
        if (_errorFd < 0)
            return;
        Release();
        var report = stackalloc int[2];
        var got = NextReport(report);
        Interop.Close(_errorFd);
        _errorFd = -1;
        if (got == 8)
        {
            Interop.Waitpid(Pid, out _, 0);
            throw new LinuxException($"start {_path}: {(ChildStep)report[0]}", report[1]);
        }
    }

    /// <summary>Waits for the child's first report, written right after the clone; false when none came in time.</summary>
    internal static unsafe bool WaitForReady(int errorFd, TimeSpan timeout)
    {
        if (!Readable(errorFd, timeout))
            return false;
        var report = stackalloc int[2];
        return Interop.Read(errorFd, (byte*)report, 8) == 8 && report[0] == RawSpawn.ReadyStep;
    }

    private static unsafe bool Readable(int fd, TimeSpan timeout)
    {
        // struct pollfd { int fd; short events; short revents; }, POLLIN = 1
        var poll = stackalloc int[2] { fd, 1 };
        int result;
        do
        {
            result = Interop.Poll(poll, 1, (int)timeout.TotalMilliseconds);
        }
        while (result < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR);
        return result > 0;
    }

    /// <summary>The next report, or end of file at the exec; a child stuck before its exec is killed (it is a copy of us).</summary>
    private unsafe nint NextReport(int* report)
    {
        if (Readable(_errorFd, ExecTimeout))
            return ReadReport(report);
        Interop.Kill(Pid, 9);
        Interop.Waitpid(Pid, out _, 0);
        Interop.Close(_errorFd);
        _errorFd = -1;
        throw new LinuxException($"start {_path}: the child did not exec within {ExecTimeout.TotalSeconds} s", Errno.EAGAIN);
    }

    private unsafe nint ReadReport(int* report)
    {
        nint got;
        do
        {
            got = Interop.Read(_errorFd, (byte*)report, 8);
        }
        while (got < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR);
        return got;
    }

    /// <summary>Gives up on a child still waiting to be released: it exits without exec, and is reaped.</summary>
    public void Abort()
    {
        if (_releaseFd >= 0)
        {
            CloseRelease();
            Interop.Waitpid(Pid, out _, 0);
        }
        Dispose();
    }

    private void CloseRelease()
    {
        Interop.Close(_releaseFd);
        _releaseFd = -1;
    }

    public void Dispose()
    {
        if (_releaseFd >= 0)
            CloseRelease();
        if (_errorFd >= 0)
        {
            Interop.Close(_errorFd);
            _errorFd = -1;
        }
    }
}

/// <summary>Where a spawned child failed before it could exec.</summary>
internal enum ChildStep
{
    WaitForRelease = 1,
    JoinNamespace,
    NewSession,
    ControllingTerminal,
    ArrangeFds,
    WorkingDirectory,
    DropBoundingCapabilities,
    SetGroups,
    SetGid,
    SetCapabilities,
    SetUid,
    NoNewPrivileges,
    Seccomp,
    Execve,
    JoinCgroup,
    MakeDirectory,
    MoveMount,
    Unmount,
    NotDumpable,
}
