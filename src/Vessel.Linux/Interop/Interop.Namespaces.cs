using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "sethostname", SetLastError = true)]
    internal static partial int Sethostname(ReadOnlySpan<byte> name, nuint length);

    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(int fd, int namespaceType);
}
