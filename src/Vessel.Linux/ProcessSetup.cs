using System.Runtime.InteropServices;
using System.Text;

namespace Vessel.Linux;

/// <summary>
/// What a process does to itself before it execs a container's program: these act on the calling thread,
/// which is the one that execs, so the program inherits them.
/// </summary>
public static unsafe class ProcessSetup
{
    private const int PrCapbsetDrop = 24, PrSetNoNewPrivs = 38, SeccompSetModeFilter = 1;

    public static void Unshare(CloneFlags flags) => LinuxException.ThrowIfFailed(Interop.Unshare((int)flags), $"unshare {flags}");

    public static void SetHostname(string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        LinuxException.ThrowIfFailed(Interop.Sethostname(bytes, (nuint)bytes.Length), $"sethostname {name}");
    }

    /// <summary>Cuts the bounding set and the effective, permitted and inheritable sets to <paramref name="keep"/>.</summary>
    public static void LimitCapabilities(ulong keep)
    {
        var last = int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        for (var cap = 0; cap <= last; cap++)
        {
            if ((keep & (1UL << cap)) == 0)
                LinuxException.ThrowIfFailed(Interop.Prctl(PrCapbsetDrop, (nuint)cap, 0, 0, 0), $"drop capability {cap} from the bounding set");
        }
        var header = stackalloc uint[2] { 0x20080522, 0 };
        var data = stackalloc uint[6] { (uint)keep, (uint)keep, (uint)keep, (uint)(keep >> 32), (uint)(keep >> 32), (uint)(keep >> 32) };
        LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.Capset, (nint)header, (nint)data, 0, 0, 0), "capset");
    }

    public static void SetNoNewPrivileges() =>
        LinuxException.ThrowIfFailed(Interop.Prctl(PrSetNoNewPrivs, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");

    public static void InstallSeccomp(byte[] filter)
    {
        fixed (byte* instructions = filter)
        {
            var program = stackalloc byte[16];
            *(ushort*)program = (ushort)(filter.Length / 8);
            *(byte**)(program + 8) = instructions;
            LinuxException.ThrowIfFailed(Interop.Syscall(SyscallNumbers.Seccomp, SeccompSetModeFilter, 0, (nint)program, 0, 0), "seccomp");
        }
    }

    /// <summary>Replaces this process with the program; returns only by throwing.</summary>
    public static void Exec(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        string?[] argv = [.. arguments, null];
        string?[] envp = [.. environment, null];
        ResetSignals();
        Interop.Execve(path, argv, envp);
        throw new LinuxException($"execve {path}", Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// Every signal back to its default and none blocked, as a program expects from a shell: the .NET runtime ignores
    /// SIGPIPE, and a signal ignored stays ignored across execve (a container's init would pass that on to everything).
    /// SIGKILL and SIGSTOP cannot be changed.
    /// </summary>
    private static unsafe void ResetSignals()
    {
        var defaultAction = stackalloc ulong[4] { 0, 0, 0, 0 }; // struct kernel_sigaction: SIG_DFL, no flags, no mask
        for (var signal = 1; signal <= 64; signal++)
        {
            if (signal is not (9 or 19))
                Interop.Syscall(SyscallNumbers.RtSigaction, signal, (nint)defaultAction, 0, 8, 0);
        }
        ulong noSignals = 0;
        Interop.Syscall(SyscallNumbers.RtSigprocmask, 2 /* SIG_SETMASK */, (nint)(&noSignals), 0, 8, 0);
    }
}
