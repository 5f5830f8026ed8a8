using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Finds the image manifest to unpack: index.json's manifests, nested indexes opened (a nested index's platform
/// applies to its manifests that name none), then the one for linux and the wanted architecture, or else the
/// only manifest there is.
/// </summary>
internal static class OciManifestSelector
{
    private const int MaxDepth = 4;

    /// <summary>Maps an architecture as .NET names it to its OCI (GOARCH) name.</summary>
    public static string HostArchitecture => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };

    public static async Task<OciDescriptor> SelectAsync(OciBlobStore blobs, string architecture, CancellationToken cancellationToken)
    {
        var manifests = new List<OciDescriptor>();
        await CollectAsync(blobs, await blobs.ReadIndexAsync(cancellationToken), null, manifests, 0, cancellationToken);
        return Choose(manifests, architecture, blobs.Name);
    }

    private static async Task CollectAsync(OciBlobStore blobs, OciIndex index, OciPlatform? inherited, List<OciDescriptor> manifests, int depth, CancellationToken cancellationToken)
    {
        foreach (var descriptor in index.Manifests ?? [])
        {
            if (OciMediaTypes.IsManifest(descriptor.MediaType))
            {
                manifests.Add(descriptor.Platform is null && inherited is not null ? descriptor with { Platform = inherited } : descriptor);
            }
            else if (OciMediaTypes.IsIndex(descriptor.MediaType))
            {
                if (depth == MaxDepth)
                    throw new BadRequestException($"{blobs.Name}: image indexes are nested more than {MaxDepth} deep");
                var nested = await blobs.ReadJsonAsync(descriptor, OciJson.Default.OciIndex, cancellationToken);
                await CollectAsync(blobs, nested, descriptor.Platform ?? inherited, manifests, depth + 1, cancellationToken);
            }
        }
    }

    public static OciDescriptor Choose(IReadOnlyList<OciDescriptor> manifests, string architecture, string name)
    {
        var match = manifests.FirstOrDefault(m => m.Platform is { Os: "linux" } p && p.Architecture == architecture);
        if (match is not null)
            return match;
        // Build tools add attestation manifests for the platform unknown/unknown; they are not images.
        var images = manifests.Where(m => m.Platform is not { Os: "unknown" }).ToList();
        if (images.Count == 1)
            return images[0];
        if (images.Count == 0)
            throw new BadRequestException($"{name}: the OCI image layout lists no image manifest");
        var found = string.Join(", ", images.Select(m => m.Platform?.ToString() ?? "no platform"));
        throw new BadRequestException($"{name}: the OCI image layout has no manifest for linux/{architecture} (it has {found})");
    }
}
