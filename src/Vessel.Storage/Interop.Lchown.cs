using System.Runtime.InteropServices;

namespace Vessel.Storage;

internal static partial class Interop
{
    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LchownNative(string path, uint owner, uint group);

    /// <summary>Sets the owner of a path without following it if it is a symbolic link.</summary>
    internal static void Lchown(string path, uint owner, uint group) => ThrowIfFailed(LchownNative(path, owner, group), "lchown", path);
}
