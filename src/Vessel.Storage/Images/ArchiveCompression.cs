using System.IO.Compression;
using SharpCompress.Compressors.Xz;
using Vessel.Core;
using Vessel.Linux;

namespace Vessel.Storage.Images;

/// <summary>The tarball formats a container image may come in, and the stream that undoes each one's compression.</summary>
internal static class ArchiveCompression
{
    public static readonly string[] Formats = ["tar", "tar.gz", "tar.zst", "tar.xz"];

    /// <summary>Wraps <paramref name="compressed"/> in a decompressor; the caller disposes both.</summary>
    public static Stream Decompress(Stream compressed, string format, string archiveName) => format switch
    {
        "tar" => compressed,
        "tar.gz" => new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true),
        "tar.zst" => new ZstdDecompressionStream(compressed, leaveOpen: true),
        "tar.xz" => new XZStream(compressed),
        _ => throw new BadRequestException($"{archiveName}: format \"{format}\" is not a tarball format ({string.Join(", ", Formats)})"),
    };
}
