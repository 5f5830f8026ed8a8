using System.Runtime.InteropServices;

namespace Vessel.Linux;

/// <summary>System call numbers for the architectures Vessel runs on; libc wraps none of these, or not safely.</summary>
internal static class SyscallNumbers
{
    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    // Numbers shared by both architectures (added after the unified table).
    public const long Clone3 = 435, Openat2 = 437, PidfdOpen = 434, PidfdSendSignal = 424, OpenTree = 428, MoveMount = 429, MountSetattr = 442;

    public static long PivotRoot => Arm64 ? 41 : 155;
    public static long Seccomp => Arm64 ? 277 : 317;
    public static long Capset => Arm64 ? 91 : 126;
    public static long Capget => Arm64 ? 90 : 125;
    public static long Statx => Arm64 ? 291 : 332;

    // Used by the spawned child between clone3 and execve, where only raw system calls may run.
    public static long Read => Arm64 ? 63 : 0;
    public static long Write => Arm64 ? 64 : 1;
    public static long Ioctl => Arm64 ? 29 : 16;
    public static long Fcntl => Arm64 ? 25 : 72;
    public static long Dup3 => Arm64 ? 24 : 292;
    public static long Setsid => Arm64 ? 157 : 112;
    public static long Chdir => Arm64 ? 49 : 80;
    public static long Fchdir => Arm64 ? 50 : 81;
    public static long Setns => Arm64 ? 268 : 308;
    public static long Setgroups => Arm64 ? 159 : 116;
    public static long Setresuid => Arm64 ? 147 : 117;
    public static long Setresgid => Arm64 ? 149 : 119;
    public static long Prctl => Arm64 ? 167 : 157;
    public static long Execve => Arm64 ? 221 : 59;
    public static long Execveat => Arm64 ? 281 : 322;
    public static long ExitGroup => Arm64 ? 94 : 231;
    public static long Mkdirat => Arm64 ? 34 : 258;
    public static long Umount2 => Arm64 ? 39 : 166;
    public static long Close => Arm64 ? 57 : 3;
    public static long RtSigaction => Arm64 ? 134 : 13;
    public static long RtSigprocmask => Arm64 ? 135 : 14;
}
