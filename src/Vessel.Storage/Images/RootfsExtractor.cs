namespace Vessel.Storage.Images;

/// <summary>Unpacks a container image's root filesystem tarball, safely, into a directory.</summary>
public static class RootfsExtractor
{
    /// <summary>
    /// Extracts <paramref name="archivePath"/> into <paramref name="targetDirectory"/> (created if missing). Nothing
    /// lands outside the target: ".." is refused, a leading '/' is dropped, no entry is written through a symbolic
    /// link, hard links may point only at files extracted before them. Owners (shifted by the options' offsets, when
    /// running as root), modes with setuid/setgid/sticky, mtimes and "SCHILY.xattr.*" extended attributes are kept.
    /// </summary>
    /// <param name="format">tar, tar.gz, tar.zst or tar.xz (an image's Format).</param>
    /// <exception cref="Vessel.Core.BadRequestException">The archive is unreadable or an entry breaks a rule; the message names the entry.</exception>
    /// <remarks>On failure the target holds what was extracted so far; the caller removes it.</remarks>
    public static Task<ExtractResult> ExtractAsync(string archivePath, string format, string targetDirectory, ExtractOptions options, CancellationToken cancellationToken) =>
        Task.Run(() => Extract(archivePath, format, targetDirectory, options, cancellationToken), cancellationToken);

    /// <summary>The same, on the calling thread.</summary>
    internal static ExtractResult Extract(string archivePath, string format, string targetDirectory, ExtractOptions options, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(archivePath);
        var extraction = new TarExtraction(targetDirectory, options);
        using (var file = OpenSequential(archivePath))
        using (var tar = ArchiveCompression.Decompress(file, format, name))
            extraction.Apply(tar, name, layer: false, cancellationToken);
        return extraction.Finish();
    }

    internal static FileStream OpenSequential(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
}
