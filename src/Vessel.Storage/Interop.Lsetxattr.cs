using System.Runtime.InteropServices;

namespace Vessel.Storage;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LsetxattrNative(string path, string name, ReadOnlySpan<byte> value, nuint size, int flags);

    /// <summary>Sets an extended attribute on a path without following it if it is a symbolic link.</summary>
    internal static void Lsetxattr(string path, string name, ReadOnlySpan<byte> value) =>
        ThrowIfFailed(LsetxattrNative(path, name, value, (nuint)value.Length, 0), $"lsetxattr {name}", path);
}
