using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static partial class Interop
{
    // struct termios is 60 bytes with glibc on x86-64 and aarch64; callers pass a larger opaque buffer.
    [LibraryImport(Libc, EntryPoint = "tcgetattr", SetLastError = true)]
    internal static unsafe partial int Tcgetattr(int fd, byte* termios);

    [LibraryImport(Libc, EntryPoint = "tcsetattr", SetLastError = true)]
    internal static unsafe partial int Tcsetattr(int fd, int when, byte* termios);

    [LibraryImport(Libc, EntryPoint = "cfmakeraw")]
    internal static unsafe partial void Cfmakeraw(byte* termios);

    [LibraryImport(Libc, EntryPoint = "isatty")]
    internal static partial int Isatty(int fd);
}
