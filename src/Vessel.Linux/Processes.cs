namespace Vessel.Linux;

/// <summary>Signalling and reaping processes by pid.</summary>
public static class Processes
{
    public static void Kill(int pid, int signal) => LinuxException.ThrowIfFailed(Interop.Kill(pid, signal), $"kill {pid}");

    /// <summary>Signals the process; false when it is already gone (ESRCH), which a racing exit makes normal.</summary>
    public static bool TryKill(int pid, int signal)
    {
        if (Interop.Kill(pid, signal) == 0)
            return true;
        var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return errno == Errno.ESRCH ? false : throw new LinuxException($"kill {pid}", errno);
    }

    /// <summary>Reaps a child and returns its exit code, or 128 + the signal that killed it.</summary>
    public static int WaitForExit(int pid)
    {
        int status;
        while (Interop.Waitpid(pid, out status, 0) < 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
                throw new LinuxException($"waitpid {pid}", errno);
        }
        return ExitCode(status);
    }

    /// <summary>A pidfd of the process (pidfd_open): it becomes readable when the process exits, also if it has already.</summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenPidfd(int pid) =>
        new((nint)LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.PidfdOpen, pid, 0, 0, 0, 0), $"pidfd_open {pid}"), ownsHandle: true);

    /// <summary>
    /// Waits until the process has exited (a zombie has) or the timeout has passed; at once when there is no such process.
    /// poll(2) on its pidfd blocks a thread of its own, not one of the pool's.
    /// </summary>
    public static async Task WaitForExitAsync(int pid, TimeSpan timeout)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle exited;
        try
        {
            exited = OpenPidfd(pid);
        }
        catch (LinuxException e) when (e.Errno == Errno.ESRCH)
        {
            return;
        }
        using (exited)
        {
            var milliseconds = (int)Math.Ceiling(Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
            await Task.Factory.StartNew(() => FdPoll.Wait([new FdPoll.Entry(Fds.Number(exited), FdPoll.In)], milliseconds),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>Reaps the child if it has exited, without waiting; false while it runs (or is not our child).</summary>
    public static bool TryReap(int pid, out int exitCode)
    {
        exitCode = 0;
        if (Interop.Waitpid(pid, out var status, 1 /* WNOHANG */) != pid)
            return false;
        exitCode = ExitCode(status);
        return true;
    }

    /// <summary>Decodes a wait status: the exit code, or 128 + signal as shells report it.</summary>
    public static int ExitCode(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
}
