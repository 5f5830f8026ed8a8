namespace Vessel.Linux.Spawn;

/// <summary>A child started by RawSpawn, possibly still waiting to be released before it execs.</summary>
public sealed class SpawnedProcess : IDisposable
{
    private int _releaseFd;
    private int _errorFd;
    private readonly string _path;

    internal SpawnedProcess(int pid, int pidFd, int releaseFd, int errorFd, string path)
    {
        Pid = pid;
        PidFd = pidFd;
        _releaseFd = releaseFd;
        _errorFd = errorFd;
        _path = path;
    }

    /// <summary>The process that execs: the child, or with ForkAfterJoin the child's fork once WaitForExec returned.</summary>
    public int Pid { get; private set; }

    /// <summary>A pidfd for the child (-1 unless CloneFlags.Pidfd was asked for); the caller owns it.</summary>
    public int PidFd { get; }

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
        var got = ReadReport(report);
        if (got == 8 && report[0] == 0)
        {
            // ForkAfterJoin: the intermediate named its fork and exited; from now on the fork is the process.
            Interop.Waitpid(Pid, out _, 0);
            Pid = report[1];
            got = ReadReport(report);
        }
        Interop.Close(_errorFd);
        _errorFd = -1;
        if (got == 8)
        {
            Interop.Waitpid(Pid, out _, 0);
            throw new LinuxException($"start {_path}: {(ChildStep)report[0]}", report[1]);
        }
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
    ForkAfterJoin,
}
