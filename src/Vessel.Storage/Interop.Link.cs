using System.Runtime.InteropServices;

namespace Vessel.Storage;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existing, string created);

    /// <summary>Makes a hard link; on Linux, link(2) does not follow <paramref name="existing"/> if it is a symbolic link.</summary>
    internal static void Link(string existing, string created) => ThrowIfFailed(LinkNative(existing, created), "link", created);
}
