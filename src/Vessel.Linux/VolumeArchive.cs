namespace Vessel.Linux;

/// <summary>
/// A directory tree as one tar file with everything a root filesystem holds: numeric owners, modes, xattrs (overlay's
/// whiteout and opaque marks, capabilities), device nodes and sparse files. GNU tar, run as root.
/// </summary>
public static class VolumeArchive
{
    private static readonly string Tar = HostCommand.Resolve("tar");
    private static readonly string[] Attributes = ["--xattrs", "--xattrs-include=*", "--numeric-owner", "--sparse"];

    public static Task WriteAsync(string directory, string archive, IEnumerable<string> excluded, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Tar, [.. Attributes, .. excluded.Select(e => $"--exclude=./{e}"), "-C", directory, "-cf", archive, "."],
            cancellationToken: cancellationToken);

    public static Task ExtractAsync(string archive, string directory, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Tar, [.. Attributes, "--same-owner", "--same-permissions", "-C", directory, "-xf", archive],
            cancellationToken: cancellationToken);
}
