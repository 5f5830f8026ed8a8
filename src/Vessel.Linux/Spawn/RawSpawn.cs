using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Vessel.Linux.Spawn;

/// <summary>
/// Starts processes with clone3 from this multi-threaded .NET process, which unshare(CLONE_NEWUSER) and
/// setns into a user namespace refuse. Managed code is unsafe in a child copied from a multi-threaded
/// runtime, so the child runs one straight-line routine that only makes raw system calls through libc's
/// syscall() (no allocation, no runtime call, no GC transition) from memory prepared before the clone, and
/// then execs. A no-GC region around the clone makes sure no GC suspension is under way in the copied
/// address space. A failing step writes (step, errno) to a close-on-exec pipe the parent reads.
/// </summary>
public static unsafe class RawSpawn
{
    private const int OCloexec = 0x80000, FDupfdCloexec = 1030, FSetfd = 2, TiocSctty = 0x540E, Sigchld = 17;
    private const int AtEmptyPath = 0x1000, AtFdcwd = -100, MoveMountFEmptyPath = 4, MntDetach = 2, MountAttach = 1, MountDetach = 2;
    private const int CloneNewPid = 0x20000000;
    private const int PrSetDumpable = 4, PrCapbsetDrop = 24, PrSetNoNewPrivs = 38, SeccompSetModeFilter = 1;
    private const int MaxNamespaces = 8, MaxFds = 8, MaxCgroupTasks = 12, ScratchFdBase = 100;
    internal const int ReadyStep = -1;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(2);
    private const int Attempts = 3;

    private static readonly Lock Gate = new();

    /// <summary>
    /// Ends the no-GC region if it still holds. Other threads may allocate past its budget at any moment, which ends it
    /// with a GC, and EndNoGCRegion then throws even right after LatencyMode said it held.
    /// </summary>
    private static void EndNoGcRegion(bool started)
    {
        if (!started || GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
            return;
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
        }
    }
    // This process's pid namespace, for the thread to go back to after a clone into another one.
    private static readonly Lazy<int> OwnPidNamespace = new(() =>
        (int)LinuxException.ThrowIfFailed(Interop.Open("/proc/self/ns/pid", OCloexec, 0), "open /proc/self/ns/pid"));
    private static readonly nint Libc = NativeLibrary.Load("libc.so.6");
    private static readonly nint SyscallAddress = NativeLibrary.GetExport(Libc, "syscall");
    private static readonly delegate* unmanaged<int*> ErrnoLocation =
        (delegate* unmanaged<int*>)NativeLibrary.GetExport(Libc, "__errno_location");
    private static readonly int LastCapability = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(),
        System.Globalization.CultureInfo.InvariantCulture);

    [StructLayout(LayoutKind.Sequential)]
    private struct Plan
    {
        public int ReleaseFd, ReleaseWriteFd, ErrorFd, ErrorReadFd;
        public int CgroupTaskCount;
        public fixed int CgroupTasks[MaxCgroupTasks];
        public int NamespaceCount;
        public fixed int Namespaces[MaxNamespaces];
        public int PidNamespace, OwnPidNamespace;
        public int NewSession, ControllingTerminal;
        public int FdCount;
        public fixed int FdSources[MaxFds];
        public fixed int FdTargets[MaxFds];
        public byte* WorkingDirectory;
        public int DropBounding, LastCapability;
        public ulong KeepCapabilities;
        public int SetIdentity;
        public uint Uid, Gid;
        public int NoNewPrivileges;
        public void* SeccompProgram;
        public int* Errno;
        public int MountAction, TreeFd;
        public byte* MountTarget;
        public int ExecFd;
        public byte* Path;
        public byte** Argv;
        public byte** Envp;
        public long SysRead, SysWrite, SysIoctl, SysFcntl, SysDup3, SysSetsid, SysChdir, SysSetns, SysSetgroups,
            SysSetresuid, SysSetresgid, SysPrctl, SysCapset, SysSeccomp, SysExecve, SysExecveat, SysExitGroup, SysClose,
            SysRtSigaction, SysRtSigprocmask, SysMkdirat, SysMoveMount, SysFchdir, SysUmount2;
    }

    /// <summary>
    /// Starts the child; without WaitForRelease, also waits for its exec, and clones again when a child got stuck
    /// before it (see <see cref="SpawnedProcess.WaitForExec"/>): nothing of it has happened outside this process.
    /// </summary>
    public static SpawnedProcess Start(SpawnOptions options)
    {
        for (var attempt = 1; ; attempt++)
        {
            var spawned = Clone(options);
            if (options.WaitForRelease)
                return spawned;
            try
            {
                spawned.WaitForExec();
                return spawned;
            }
            catch (LinuxException e) when (e.Errno == Errno.EAGAIN && attempt < Attempts)
            {
                spawned.Dispose();
            }
        }
    }

    private static SpawnedProcess Clone(SpawnOptions options)
    {
        if (options.JoinNamespaces.Count > MaxNamespaces || options.Fds.Count > MaxFds || options.CgroupTaskFds.Count > MaxCgroupTasks)
        {
            throw new ArgumentException(
                $"at most {MaxNamespaces} namespaces, {MaxFds} fds and {MaxCgroupTasks} cgroup tasks files can be passed to a spawned child");
        }
        foreach (var text in options.Arguments.Concat(options.Environment).Append(options.Path).Append(options.WorkingDirectory ?? ""))
        {
            if (text.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"\"{text.Replace("\0", "\\0", StringComparison.Ordinal)}\" contains a NUL character");
        }
        using var memory = new NativeArena();
        var plan = (Plan*)memory.Allocate(sizeof(Plan));
        *plan = default;
        plan->LastCapability = LastCapability;
        // errno is thread-local; the child is a copy of this thread, so its errno lives at the same address.
        plan->Errno = ErrnoLocation();
        FillSyscallNumbers(plan);

        var error = Pipe();
        plan->ErrorFd = error.Write;
        plan->ErrorReadFd = error.Read;
        int releaseWrite = -1;
        plan->ReleaseFd = plan->ReleaseWriteFd = -1;
        if (options.WaitForRelease)
        {
            var release = Pipe();
            plan->ReleaseFd = release.Read;
            plan->ReleaseWriteFd = releaseWrite = release.Write;
        }
        plan->CgroupTaskCount = options.CgroupTaskFds.Count;
        for (var i = 0; i < options.CgroupTaskFds.Count; i++)
            plan->CgroupTasks[i] = options.CgroupTaskFds[i];
        plan->NamespaceCount = options.JoinNamespaces.Count;
        for (var i = 0; i < options.JoinNamespaces.Count; i++)
            plan->Namespaces[i] = options.JoinNamespaces[i];
        plan->PidNamespace = options.PidNamespace;
        plan->OwnPidNamespace = options.PidNamespace >= 0 ? OwnPidNamespace.Value : -1;

        plan->NewSession = options.NewSession ? 1 : 0;
        plan->ControllingTerminal = options.ControllingTerminal ? 1 : 0;
        plan->FdCount = options.Fds.Count;
        for (var i = 0; i < options.Fds.Count; i++)
        {
            plan->FdSources[i] = options.Fds[i].Source;
            plan->FdTargets[i] = options.Fds[i].Target;
        }
        plan->WorkingDirectory = options.WorkingDirectory is null ? null : memory.String(options.WorkingDirectory);
        if (options.Capabilities is { } keep)
        {
            plan->DropBounding = 1;
            plan->KeepCapabilities = keep;
        }
        if (options.Identity is { } identity)
        {
            plan->SetIdentity = 1;
            plan->Uid = identity.Uid;
            plan->Gid = identity.Gid;
        }
        plan->NoNewPrivileges = options.NoNewPrivileges ? 1 : 0;
        if (options.SeccompFilter is { } filter)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var program = (byte*)memory.Allocate(16);
            *(ushort*)program = (ushort)(filter.Length / 8);
            var instructions = (byte*)memory.Allocate(filter.Length);
            filter.CopyTo(new Span<byte>(instructions, filter.Length));
            *(byte**)(program + 8) = instructions;
            plan->SeccompProgram = program;
        }
        if (options.MountInsteadOfExec is { } mount)
        {
            plan->MountAction = MountAttach;
            plan->TreeFd = mount.TreeFd;
            plan->MountTarget = memory.String(mount.Target);
        }
        else if (options.UnmountInsteadOfExec >= 0)
        {
            plan->MountAction = MountDetach;
            plan->TreeFd = options.UnmountInsteadOfExec;
        }
        plan->ExecFd = options.ExecFd;
        plan->Path = memory.String(options.ExecFd >= 0 ? "" : options.Path);
        plan->Argv = memory.StringArray(options.Arguments);
        plan->Envp = memory.StringArray(options.Environment);

        // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup
        var args = stackalloc ulong[11];
        new Span<ulong>(args, 11).Clear();
        args[0] = (ulong)options.Flags;
        args[4] = Sigchld;
        if (options.CgroupFd >= 0)
        {
            args[0] |= (ulong)CloneFlags.IntoCgroup;
            args[10] = (ulong)options.CgroupFd;
        }

        long pid = -1;
        for (var attempt = 1; ; attempt++)
        {
            lock (Gate)
            {
                // Make sure no GC suspension is under way in the address space the child copies (see the class summary).
                var noGc = GC.TryStartNoGCRegion(16 << 20);
                try
                {
                    pid = CloneAndExec(plan, args, SyscallNumbers.Clone3);
                }
                finally
                {
                    EndNoGcRegion(noGc);
                }
            }
            if (pid < 0)
                break;
            // A child copied while a GC had the runtime's threads stopped would wait for that GC forever at its first
            // safepoint check. It is only a copy: kill it and clone again.
            if (SpawnedProcess.WaitForReady(error.Read, ReadyTimeout))
                break;
            Interop.Kill((int)pid, 9);
            Interop.Waitpid((int)pid, out _, 0);
            if (attempt == Attempts)
            {
                Interop.Close(error.Write);
                Interop.Close(error.Read);
                if (plan->ReleaseFd >= 0)
                    Interop.Close(plan->ReleaseFd);
                if (releaseWrite >= 0)
                    Interop.Close(releaseWrite);
                throw new LinuxException($"clone3 for {options.Path}: the child did not start in {Attempts} attempts", Errno.EAGAIN);
            }
        }
        Interop.Close(error.Write);
        if (plan->ReleaseFd >= 0)
            Interop.Close(plan->ReleaseFd);
        if (pid < 0)
        {
            var errno = Marshal.GetLastSystemError();
            Interop.Close(error.Read);
            if (releaseWrite >= 0)
                Interop.Close(releaseWrite);
            throw new LinuxException($"clone3 for {options.Path}", errno);
        }
        return new SpawnedProcess((int)pid, releaseWrite, error.Read, options.Path);
    }

    private static void FillSyscallNumbers(Plan* plan)
    {
        plan->SysRead = SyscallNumbers.Read;
        plan->SysWrite = SyscallNumbers.Write;
        plan->SysIoctl = SyscallNumbers.Ioctl;
        plan->SysFcntl = SyscallNumbers.Fcntl;
        plan->SysDup3 = SyscallNumbers.Dup3;
        plan->SysSetsid = SyscallNumbers.Setsid;
        plan->SysChdir = SyscallNumbers.Chdir;
        plan->SysSetns = SyscallNumbers.Setns;
        plan->SysSetgroups = SyscallNumbers.Setgroups;
        plan->SysSetresuid = SyscallNumbers.Setresuid;
        plan->SysSetresgid = SyscallNumbers.Setresgid;
        plan->SysPrctl = SyscallNumbers.Prctl;
        plan->SysCapset = SyscallNumbers.Capset;
        plan->SysSeccomp = SyscallNumbers.Seccomp;
        plan->SysExecve = SyscallNumbers.Execve;
        plan->SysRtSigaction = SyscallNumbers.RtSigaction;
        plan->SysRtSigprocmask = SyscallNumbers.RtSigprocmask;
        plan->SysExecveat = SyscallNumbers.Execveat;
        plan->SysExitGroup = SyscallNumbers.ExitGroup;
        plan->SysClose = SyscallNumbers.Close;
        plan->SysMkdirat = SyscallNumbers.Mkdirat;
        plan->SysMoveMount = SyscallNumbers.MoveMount;
        plan->SysFchdir = SyscallNumbers.Fchdir;
        plan->SysUmount2 = SyscallNumbers.Umount2;
    }

    /// <summary>
    /// Clones, and in the child carries out the plan and execs. Everything the child runs is in this one
    /// method body, compiled (optimised: see the project file) before the clone; it calls nothing but libc's
    /// syscall(), through the one function-pointer signature the clone itself has already used.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long CloneAndExec(Plan* p, ulong* cloneArgs, long clone3)
    {
        var sys = (delegate* unmanaged[SuppressGCTransition]<long, nint, nint, nint, nint, nint, nint, long>)SyscallAddress;
        // setns of a pid namespace changes where this thread's children are born, nothing else, and only for this thread.
        if (p->PidNamespace >= 0 && sys(p->SysSetns, p->PidNamespace, CloneNewPid, 0, 0, 0, 0) < 0)
        {
            Marshal.SetLastSystemError(*p->Errno);
            return -1;
        }
        var pid = sys(clone3, (nint)cloneArgs, 88, 0, 0, 0, 0);
        if (pid != 0)
        {
            if (pid < 0)
                Marshal.SetLastSystemError(*p->Errno);
            // Going back to our own (active) pid namespace is always allowed; a thread left behind would start every
            // later child, a VM's QEMU or another container's shim, inside this container.
            if (p->PidNamespace >= 0 && sys(p->SysSetns, p->OwnPidNamespace, CloneNewPid, 0, 0, 0, 0) < 0)
                Environment.FailFast("setns back to vesseld's own pid namespace failed");
            return pid;
        }

        // In the child from here on.
        var step = 0;
        long r;
        var report = stackalloc int[2];
        report[0] = ReadyStep;
        report[1] = 0;
        sys(p->SysWrite, p->ErrorFd, (nint)report, 8, 0, 0, 0); // alive: the parent knows the clone took
        byte go;
        byte nul = 0;
        byte* dot = stackalloc byte[2] { (byte)'.', 0 };
        byte self = (byte)'0';
        int* scratch = stackalloc int[MaxFds];
        uint* capHeader = stackalloc uint[2];
        uint* capData = stackalloc uint[6];
        ulong* defaultAction = stackalloc ulong[4] { 0, 0, 0, 0 }; // struct kernel_sigaction: SIG_DFL, no flags, no mask
        ulong noSignals = 0;
        sys(p->SysClose, p->ErrorReadFd, 0, 0, 0, 0, 0);
        // Not dumpable until the exec, which decides afresh (runc's nsexec does the same): once it has joined a container
        // and taken its uid, the container's processes could otherwise ptrace this copy of vesseld's memory or open its
        // fds through /proc/PID/fd.
        step = 19;
        if (sys(p->SysPrctl, PrSetDumpable, 0, 0, 0, 0, 0) < 0)
            goto fail;
        if (p->ReleaseFd >= 0)
        {
            step = 1;
            sys(p->SysClose, p->ReleaseWriteFd, 0, 0, 0, 0, 0);
            do
            {
                r = sys(p->SysRead, p->ReleaseFd, (nint)(&go), 1, 0, 0, 0);
            }
            while (r < 0 && *p->Errno == Errno.EINTR);
            if (r != 1)
                sys(p->SysExitGroup, 126, 0, 0, 0, 0, 0); // the parent gave up on us
            sys(p->SysClose, p->ReleaseFd, 0, 0, 0, 0, 0);
        }
        step = 15;
        for (var i = 0; i < p->CgroupTaskCount; i++)
        {
            if (sys(p->SysWrite, p->CgroupTasks[i], (nint)(&self), 1, 0, 0, 0) < 0)
                goto fail;
        }
        step = 2;
        for (var i = 0; i < p->NamespaceCount; i++)
        {
            if (sys(p->SysSetns, p->Namespaces[i], 0, 0, 0, 0, 0) < 0)
                goto fail;
        }
        step = 3;
        if (p->NewSession != 0 && sys(p->SysSetsid, 0, 0, 0, 0, 0, 0) < 0)
            goto fail;
        step = 5;
        // Move every source out of the way first, so that no target overwrites a source still to be placed.
        for (var i = 0; i < p->FdCount; i++)
        {
            scratch[i] = (int)sys(p->SysFcntl, p->FdSources[i], FDupfdCloexec, ScratchFdBase, 0, 0, 0);
            if (scratch[i] < 0)
                goto fail;
        }
        for (var i = 0; i < p->FdCount; i++)
        {
            if (sys(p->SysDup3, scratch[i], p->FdTargets[i], 0, 0, 0, 0) < 0)
                goto fail;
        }
        step = 4;
        if (p->ControllingTerminal != 0 && sys(p->SysIoctl, 0, TiocSctty, 0, 0, 0, 0) < 0)
            goto fail;
        step = 6;
        if (p->WorkingDirectory != null && sys(p->SysChdir, (nint)p->WorkingDirectory, 0, 0, 0, 0, 0) < 0)
            goto fail;
        step = 7;
        if (p->DropBounding != 0)
        {
            for (var cap = 0; cap <= p->LastCapability; cap++)
            {
                if ((p->KeepCapabilities & (1UL << cap)) == 0 && sys(p->SysPrctl, PrCapbsetDrop, cap, 0, 0, 0, 0) < 0)
                    goto fail;
            }
        }
        if (p->SetIdentity != 0)
        {
            step = 8;
            if (sys(p->SysSetgroups, 0, 0, 0, 0, 0, 0) < 0)
                goto fail;
            step = 9;
            if (sys(p->SysSetresgid, (nint)p->Gid, (nint)p->Gid, (nint)p->Gid, 0, 0, 0) < 0)
                goto fail;
        }
        // A non-root identity loses every capability at setresuid; root keeps exactly the kept set.
        if (p->DropBounding != 0 && (p->SetIdentity == 0 || p->Uid == 0))
        {
            step = 10;
            capHeader[0] = 0x20080522; // _LINUX_CAPABILITY_VERSION_3
            capHeader[1] = 0;
            capData[0] = capData[1] = capData[2] = (uint)p->KeepCapabilities; // effective, permitted, inheritable: low 32
            capData[3] = capData[4] = capData[5] = (uint)(p->KeepCapabilities >> 32);
            if (sys(p->SysCapset, (nint)capHeader, (nint)capData, 0, 0, 0, 0) < 0)
                goto fail;
        }
        if (p->SetIdentity != 0)
        {
            step = 11;
            if (sys(p->SysSetresuid, (nint)p->Uid, (nint)p->Uid, (nint)p->Uid, 0, 0, 0) < 0)
                goto fail;
        }
        if (p->MountAction == MountAttach)
        {
            // mkdir -p: each parent in turn (its slash briefly a NUL), then the target itself.
            step = 16;
            for (var c = p->MountTarget + 1; ; c++)
            {
                if (*c != (byte)'/' && *c != 0)
                    continue;
                var end = *c;
                *c = 0;
                r = sys(p->SysMkdirat, AtFdcwd, (nint)p->MountTarget, 0x1ED /* 0755 */, 0, 0, 0);
                *c = end;
                if (r < 0 && *p->Errno != Errno.EEXIST)
                    goto fail;
                if (end == 0)
                    break;
            }
            step = 17;
            if (sys(p->SysMoveMount, p->TreeFd, (nint)(&nul) /* "" */, AtFdcwd, (nint)p->MountTarget, MoveMountFEmptyPath, 0) < 0)
                goto fail;
            sys(p->SysExitGroup, 0, 0, 0, 0, 0, 0);
        }
        if (p->MountAction == MountDetach)
        {
            // "." from the mount's root is that very mount, whatever path leads to it now.
            step = 18;
            if (sys(p->SysFchdir, p->TreeFd, 0, 0, 0, 0, 0) < 0 || sys(p->SysUmount2, (nint)dot, MntDetach, 0, 0, 0, 0) < 0)
                goto fail;
            sys(p->SysExitGroup, 0, 0, 0, 0, 0, 0);
        }
        step = 12;
        if (p->NoNewPrivileges != 0 && sys(p->SysPrctl, PrSetNoNewPrivs, 1, 0, 0, 0, 0) < 0)
            goto fail;
        step = 13;
        if (p->SeccompProgram != null && sys(p->SysSeccomp, SeccompSetModeFilter, 0, (nint)p->SeccompProgram, 0, 0, 0) < 0)
            goto fail;
        // The .NET runtime ignores SIGPIPE (and a signal ignored stays ignored across execve): the program starts with
        // every signal at its default and none blocked, as from a shell. SIGKILL and SIGSTOP cannot be changed.
        for (var signal = 1; signal <= 64; signal++)
        {
            if (signal is not (9 or 19))
                sys(p->SysRtSigaction, signal, (nint)defaultAction, 0, 8, 0, 0);
        }
        sys(p->SysRtSigprocmask, 2 /* SIG_SETMASK */, (nint)(&noSignals), 0, 8, 0, 0);
        step = 14;
        if (p->ExecFd >= 0)
            sys(p->SysExecveat, p->ExecFd, (nint)p->Path, (nint)p->Argv, (nint)p->Envp, AtEmptyPath, 0);
        else
            sys(p->SysExecve, (nint)p->Path, (nint)p->Argv, (nint)p->Envp, 0, 0, 0);

    fail:
        report[0] = step;
        report[1] = *p->Errno;
        sys(p->SysWrite, p->ErrorFd, (nint)report, 8, 0, 0, 0);
        sys(p->SysExitGroup, 127, 0, 0, 0, 0, 0);
        return 0; // not reached: exit_group does not return
    }

    private static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        LinuxException.ThrowIfFailed(Interop.Pipe2(fds, OCloexec), "pipe2");
        return (fds[0], fds[1]);
    }

    /// <summary>Native memory for one spawn, freed together; the child has its own copy by then.</summary>
    private sealed class NativeArena : IDisposable
    {
        private readonly List<nint> _blocks = [];

        public void* Allocate(int size)
        {
            var block = NativeMemory.AllocZeroed((nuint)size);
            _blocks.Add((nint)block);
            return block;
        }

        public byte* String(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            if (bytes.Contains((byte)0))
                throw new ArgumentException($"\"{value}\" contains a NUL character");
            var native = (byte*)Allocate(bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(native, bytes.Length));
            return native;
        }

        public byte** StringArray(IReadOnlyList<string> values)
        {
            var array = (byte**)Allocate((values.Count + 1) * sizeof(nint));
            for (var i = 0; i < values.Count; i++)
                array[i] = String(values[i]);
            return array;
        }

        public void Dispose()
        {
            foreach (var block in _blocks)
                NativeMemory.Free((void*)block);
        }
    }
}
