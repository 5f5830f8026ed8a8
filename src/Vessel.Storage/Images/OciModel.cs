using System.Text.Json.Serialization;

namespace Vessel.Storage.Images;

// The parts of the OCI image layout (image-spec image-layout.md, image-index.md, manifest.md, descriptor.md) that
// unpacking a root filesystem needs; Docker's manifest list and v2 manifest have the same shape.

internal sealed record OciDescriptor(string MediaType, string Digest, long Size, OciPlatform? Platform = null);

internal sealed record OciPlatform(string Architecture, string Os, string? Variant = null)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

internal sealed record OciIndex(int SchemaVersion, IReadOnlyList<OciDescriptor>? Manifests);

internal sealed record OciManifest(int SchemaVersion, OciDescriptor? Config, IReadOnlyList<OciDescriptor>? Layers);

internal static class OciMediaTypes
{
    public const string Index = "application/vnd.oci.image.index.v1+json";
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    public static bool IsIndex(string mediaType) => mediaType is Index or DockerManifestList;

    public static bool IsManifest(string mediaType) => mediaType is Manifest or DockerManifest;

    /// <summary>The tarball format of a layer: "+gzip" and Docker's ".tar.gzip" are gzip, "+zstd" zstd, a bare ".tar" plain.</summary>
    public static string? LayerFormat(string mediaType) =>
        mediaType.EndsWith("+gzip", StringComparison.Ordinal) || mediaType.EndsWith(".tar.gzip", StringComparison.Ordinal) ? "tar.gz"
        : mediaType.EndsWith("+zstd", StringComparison.Ordinal) ? "tar.zst"
        : mediaType.EndsWith(".tar", StringComparison.Ordinal) ? "tar"
        : null;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(OciManifest))]
internal sealed partial class OciJson : JsonSerializerContext;
