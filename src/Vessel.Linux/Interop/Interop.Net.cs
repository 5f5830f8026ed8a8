using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint IfNameToIndex(string name);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int Bind(int fd, void* address, int length);

    [LibraryImport(Libc, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
    internal static unsafe partial int Accept4(int fd, void* address, void* length, int flags);

    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int Setsockopt(int fd, int level, int name, void* value, int length);
}
