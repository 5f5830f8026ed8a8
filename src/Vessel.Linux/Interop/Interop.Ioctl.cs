using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

internal static partial class Interop
{
    // ioctl is variadic in C; every request used here takes at most one pointer-sized argument,
    // which the x86-64 and aarch64 Linux calling conventions pass exactly like a fixed one.
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(SafeFileHandle fd, nuint request, nint argument);
}
