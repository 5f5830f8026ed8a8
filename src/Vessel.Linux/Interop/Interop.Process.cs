using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int Waitpid(int pid, out int status, int options);

    [LibraryImport(Libc, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int Setsid();

    [LibraryImport(Libc, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(Libc, EntryPoint = "getpid")]
    internal static partial int Getpid();
}
