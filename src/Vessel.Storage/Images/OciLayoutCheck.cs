using System.Formats.Tar;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Checks the layers of an OCI image layout tarball with the rules their extraction applies (TarEntryCheck), at import,
/// headers only. The layout's small JSON files (oci-layout, index.json, blobs that may be indexes or manifests) go to a
/// scratch directory so that the manifest is chosen as extraction chooses it; each layer is then read in place in the
/// tarball, in the manifest's order, since layers build on the ones below.
/// </summary>
internal static class OciLayoutCheck
{
    private const int MaxJsonSize = 4 << 20; // as OciBlobStore reads them
    private const string Name = "the tarball";

    /// <param name="path">An uncompressed tar of an OCI image layout (ArchiveInspector said so).</param>
    /// <exception cref="BadRequestException">The layout is broken or a layer has an entry extraction would refuse (named).</exception>
    public static async Task CheckAsync(string path, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".oci-check-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await CopyJsonFilesAsync(path, scratch, cancellationToken);
            var blobs = new OciBlobStore(scratch, Name);
            var manifest = await blobs.ReadJsonAsync(await OciManifestSelector.SelectAsync(blobs, OciManifestSelector.HostArchitecture, cancellationToken),
                OciJson.Default.OciManifest, cancellationToken);
            var check = new TarEntryCheck(Name);
            var layers = manifest.Layers ?? [];
            for (var i = 0; i < layers.Count; i++)
            {
                var blob = OciBlobStore.BlobOf(layers[i], Name);
                var format = OciMediaTypes.LayerFormatOf(layers[i], Name);
                var layerName = OciMediaTypes.LayerName(Name, i, layers[i]);
                check.NextLayer(layerName);
                await CheckLayerAsync(path, blob, format, layerName, check, cancellationToken);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task CopyJsonFilesAsync(string path, string scratch, CancellationToken cancellationToken)
    {
        await using var file = RootfsExtractor.OpenSequential(path);
        await using var reader = new TarReader(file);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var relative = EntryPath.Normalize(entry.Name)!; // ArchiveInspector checked every name
            var wanted = relative is "oci-layout" or "index.json" || (EntryPath.Parent(relative) == "blobs/sha256" && entry.Length <= MaxJsonSize);
            if (!wanted || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is not { } data)
                continue;
            var first = new byte[1];
            if (relative.StartsWith("blobs/", StringComparison.Ordinal) && (await data.ReadAsync(first, cancellationToken) != 1 || first[0] != (byte)'{'))
                continue; // not JSON: a layer or a config blob's cousin, not needed to choose the manifest
            var target = Path.Combine(scratch, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var copy = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
            if (relative.StartsWith("blobs/", StringComparison.Ordinal))
                await copy.WriteAsync(first, cancellationToken);
            await data.CopyToAsync(copy, cancellationToken);
        }
    }

    /// <summary>Finds the layer's blob in the tarball (skipping the others' data) and checks its entries.</summary>
    private static async Task CheckLayerAsync(string path, string blob, string format, string layerName, TarEntryCheck check, CancellationToken cancellationToken)
    {
        await using var file = RootfsExtractor.OpenSequential(path);
        await using var reader = new TarReader(file);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (EntryPath.Normalize(entry.Name) != blob || entry.DataStream is not { } data)
                continue;
            await using var tar = ArchiveCompression.Decompress(data, format, layerName);
            var tap = new PaxRecordTap(tar);
            await using var layer = new TarReader(tap, leaveOpen: true);
            try
            {
                while (await layer.GetNextEntryAsync(copyData: false, cancellationToken) is { } layerEntry)
                {
                    if (layerEntry.EntryType == TarEntryType.GlobalExtendedAttributes)
                        continue;
                    tap.TakeXattrs(layerEntry);
                    check.Check(layerEntry);
                }
            }
            catch (Exception e) when (TarEntryRules.IsUnreadable(e))
            {
                throw new BadRequestException($"{layerName}: not a readable {format} archive: {e.Message}");
            }
            return;
        }
        throw new BadRequestException($"{Name}: blob {blob} is missing");
    }
}
