using System.Runtime.InteropServices;

namespace Vessel.Linux;

/// <summary>Data that zstd cannot decode (damaged, or not zstd at all), or a zstd call that failed otherwise.</summary>
public sealed class ZstdException(string message) : Exception(message)
{
    /// <summary>CODE when it is a result, else the library's name for the error as an exception.</summary>
    internal static nuint Check(nuint code) =>
        Interop.ZstdIsError(code) == 0 ? code : throw new ZstdException(Marshal.PtrToStringUTF8(Interop.ZstdErrorName(code)) ?? "zstd error");
}
