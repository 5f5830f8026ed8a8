using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vessel.Linux;

internal static partial class Interop
{
    /// <summary>The system's zstd library (Debian's dpkg pre-depends on it, so every Debian host has it).</summary>
    internal const string LibZstd = "libzstd.so.1";

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct ZstdInBuffer
    {
        public byte* Source;
        public nuint Size;
        public nuint Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct ZstdOutBuffer
    {
        public byte* Destination;
        public nuint Size;
        public nuint Position;
    }

    internal const int ZstdCompressionLevel = 100, ZstdChecksumFlag = 201, ZstdWorkers = 400;
    internal const int ZstdContinue = 0, ZstdEnd = 2;

    internal sealed class ZstdCompressor() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        protected override bool ReleaseHandle() => ZstdFreeCompressor(handle) == 0;
    }

    internal sealed class ZstdDecompressor() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        protected override bool ReleaseHandle() => ZstdFreeDecompressor(handle) == 0;
    }

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_createCCtx")]
    internal static partial ZstdCompressor ZstdCreateCompressor();

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_freeCCtx")]
    private static partial nuint ZstdFreeCompressor(nint context);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_CCtx_setParameter")]
    internal static partial nuint ZstdSetParameter(ZstdCompressor context, int parameter, int value);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_compressStream2")]
    internal static unsafe partial nuint ZstdCompressStream(ZstdCompressor context, ZstdOutBuffer* output, ZstdInBuffer* input, int endOperation);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_createDCtx")]
    internal static partial ZstdDecompressor ZstdCreateDecompressor();

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_freeDCtx")]
    private static partial nuint ZstdFreeDecompressor(nint context);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_decompressStream")]
    internal static unsafe partial nuint ZstdDecompressStream(ZstdDecompressor context, ZstdOutBuffer* output, ZstdInBuffer* input);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_isError")]
    internal static partial uint ZstdIsError(nuint code);

    [LibraryImport(LibZstd, EntryPoint = "ZSTD_getErrorName")]
    internal static partial nint ZstdErrorName(nuint code);
}
