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
}
