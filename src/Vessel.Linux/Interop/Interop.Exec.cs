using System.Runtime.InteropServices;

namespace Vessel.Linux;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Execve(string path, string?[] argv, string?[] envp);

    [LibraryImport(Libc, EntryPoint = "unshare", SetLastError = true)]
    internal static partial int Unshare(int flags);

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);
}
