using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static partial class Interop
{
    // syscall(2) is variadic in C. Every call here passes integer or pointer arguments only, which the
    // x86-64 and aarch64 Linux calling conventions pass exactly as for a fixed argument list.
    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5);
}
