using System.Runtime.InteropServices;

namespace Vessel.Storage;

// P/Invoke belongs in Vessel.Linux; these few calls live here until they move there.
internal static partial class Interop
{
    /// <summary>Turns a failed libc call (-1 and errno) into an IOException naming the call and the path.</summary>
    internal static void ThrowIfFailed(int result, string function, string path)
    {
        if (result != -1)
            return;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException($"{function} \"{path}\": {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
