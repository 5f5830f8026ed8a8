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
