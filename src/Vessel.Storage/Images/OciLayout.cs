using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>Unpacks the root filesystem of an OCI image layout: a directory, or a tar archive of one.</summary>
public static class OciLayout
{
    /// <summary>The image Format of an imported OCI layout tarball, and its file name in the image store.</summary>
    public const string Format = "oci";
    public const string Filename = "oci.tar";

    /// <summary>
    /// Reads index.json (and nested indexes), takes the manifest for linux on this host's architecture (or the only
    /// one), checks every blob it uses against its sha256 digest before anything is written, then applies the
    /// layers in order with RootfsExtractor's rules plus whiteouts (".wh.NAME", ".wh..wh..opq").
    /// </summary>
    /// <param name="layoutPath">The layout directory, or a tar archive of it (tar, tar.gz, tar.zst or tar.xz).</param>
    /// <remarks>
    /// A layout tarball is first unpacked next to the target, in a hidden directory removed afterwards. On failure
    /// the target holds what was extracted so far; the caller removes it.
    /// </remarks>
    public static Task<ExtractResult> ExtractAsync(string layoutPath, string targetDirectory, ExtractOptions options, CancellationToken cancellationToken) =>
        ExtractAsync(layoutPath, targetDirectory, options, OciManifestSelector.HostArchitecture, cancellationToken);

    internal static async Task<ExtractResult> ExtractAsync(string layoutPath, string targetDirectory, ExtractOptions options, string architecture, CancellationToken cancellationToken)
    {
        if (Directory.Exists(layoutPath))
            return await ExtractDirectoryAsync(layoutPath, Path.GetFileName(Path.TrimEndingDirectorySeparator(layoutPath)), targetDirectory, options, architecture, cancellationToken);
        if (!File.Exists(layoutPath))
            throw new NotFoundException($"OCI image layout \"{layoutPath}\" does not exist");

        var name = Path.GetFileName(layoutPath);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory));
        var scratch = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.oci-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var unpacked = Path.Combine(scratch, "layout");
            await RootfsExtractor.ExtractAsync(layoutPath, await DetectFormatAsync(layoutPath, cancellationToken), unpacked, new ExtractOptions(), cancellationToken);
            return await ExtractDirectoryAsync(unpacked, name, targetDirectory, options, architecture, cancellationToken);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<ExtractResult> ExtractDirectoryAsync(string directory, string name, string targetDirectory, ExtractOptions options, string architecture, CancellationToken cancellationToken)
    {
        var blobs = new OciBlobStore(directory, name);
        var manifestDescriptor = await OciManifestSelector.SelectAsync(blobs, architecture, cancellationToken);
        var manifest = await blobs.ReadJsonAsync(manifestDescriptor, OciJson.Default.OciManifest, cancellationToken);
        var layers = manifest.Layers ?? [];
        var formats = new List<string>();
        foreach (var layer in layers)
        {
            formats.Add(OciMediaTypes.LayerFormatOf(layer, name));
            await blobs.VerifyAsync(layer, cancellationToken);
        }

        return await Task.Run(() =>
        {
            var extraction = new TarExtraction(targetDirectory, options);
            for (var i = 0; i < layers.Count; i++)
            {
                var layerName = OciMediaTypes.LayerName(name, i, layers[i]);
                using var file = blobs.Open(layers[i]);
                using var tar = ArchiveCompression.Decompress(file, formats[i], layerName);
                extraction.Apply(tar, layerName, layer: true, cancellationToken);
            }
            return extraction.Finish();
        }, cancellationToken);
    }

    private static async Task<string> DetectFormatAsync(string path, CancellationToken cancellationToken)
    {
        var header = new byte[ImageFormat.HeaderLength];
        int length;
        await using (var file = File.OpenRead(path))
            length = await file.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        return ImageFormat.Detect(header.AsSpan(0, length)) is ({ } format, Vessel.Core.Model.InstanceType.Container)
            ? format
            : throw new BadRequestException($"{Path.GetFileName(path)}: not a tar archive of an OCI image layout");
    }
}
