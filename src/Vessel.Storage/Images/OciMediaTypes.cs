namespace Vessel.Storage.Images;

/// <summary>The media types an OCI layout (or a Docker archive in its shape) uses for indexes, manifests and layers.</summary>
internal static class OciMediaTypes
{
    public const string Index = "application/vnd.oci.image.index.v1+json";
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    public static bool IsIndex(string mediaType) => mediaType is Index or DockerManifestList;

    public static bool IsManifest(string mediaType) => mediaType is Manifest or DockerManifest;

    /// <summary>The tarball format of a layer: "+gzip" and Docker's ".tar.gzip" are gzip, "+zstd" zstd, a bare ".tar" plain.</summary>
    public static string? LayerFormat(string? mediaType) =>
        mediaType is null ? null
        : mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal) ? "tar.gz"
        : mediaType.EndsWith("+zstd", StringComparison.Ordinal) ? "tar.zst"
        : mediaType.EndsWith(".tar", StringComparison.Ordinal) ? "tar"
        : null;

    /// <summary>The layer's tarball format.</summary>
    /// <param name="name">Names the image in the error.</param>
    /// <exception cref="Vessel.Core.NotSupportedYetException">Its media type is not one Vessel unpacks.</exception>
    public static string LayerFormatOf(OciDescriptor layer, string name) => LayerFormat(layer.MediaType)
        ?? throw new Vessel.Core.NotSupportedYetException($"{name}: layer {layer.Digest} has media type {layer.MediaType}, which cannot be unpacked yet");

    /// <summary>How errors name the layer at INDEX (from 0) of an image: its place and the start of its digest.</summary>
    public static string LayerName(string name, int index, OciDescriptor layer) => $"{name}: layer {index + 1} ({layer.Digest[..19]})";
}
