namespace Vessel.Linux;

/// <summary>
/// A directory tree as one tar file with everything a root filesystem holds: numeric owners, modes, xattrs (overlay's
/// whiteout and opaque marks, capabilities), device nodes and sparse files. GNU tar, run as root, in records of 1 MiB
/// (its default of 10 KiB costs twice the time on a large file).
/// </summary>
public static class VolumeArchive
{
    private static readonly string Tar = HostCommand.Resolve("tar"), Fallocate = HostCommand.Resolve("fallocate");
    private static readonly string[] Attributes = ["--xattrs", "--xattrs-include=*", "--numeric-owner", "--blocking-factor=2048"];

    /// <summary>
    /// Files keep their holes (GNU sparse members), unless <paramref name="keepHoles"/> is false: GNU tar extracts a sparse
    /// member 512 bytes at a time (0.39 s against 0.06 s for a 200 MiB qcow2 here), so a VM's disks with few holes are
    /// better written whole; their holes are read as zeros, which compress to nothing, and <see cref="PunchZeroesAsync"/>
    /// makes holes of them again.
    /// </summary>
    public static Task WriteAsync(string directory, string archive, IEnumerable<string> excluded, CancellationToken cancellationToken, bool keepHoles = true) =>
        HostCommand.RunCheckedAsync(Tar, [.. Attributes, .. Holes(keepHoles), .. excluded.Select(e => $"--exclude=./{e}"), "-C", directory, "-cf", archive, "."],
            Timeout.InfiniteTimeSpan, cancellationToken);

    private static string[] Holes(bool keep) => keep ? ["--sparse"] : [];

    /// <summary>Turns the runs of zeros in FILE into holes again (fallocate --dig-holes); where the filesystem cannot, the file stays as it is.</summary>
    public static Task PunchZeroesAsync(string file, CancellationToken cancellationToken) =>
        HostCommand.RunAsync(Fallocate, ["--dig-holes", file], timeout: Timeout.InfiniteTimeSpan, cancellationToken: cancellationToken);

    /// <summary>
    /// The names the archive holds, as GNU tar lists them. Not through .NET's TarReader: it refuses an extended header whose
    /// value holds a line break, as a binary xattr (overlayfs's random user.overlay.uuid) now and then does.
    /// </summary>
    /// <exception cref="InvalidDataException">tar cannot read the archive.</exception>
    public static async Task<string[]> NamesAsync(string archive, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(Tar, ["-tf", archive], timeout: Timeout.InfiniteTimeSpan, cancellationToken: cancellationToken);
        if (result.Code != 0)
            throw new InvalidDataException($"tar cannot list the archive: {result.Errors.Trim()}");
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Adds DIRECTORY/NAME, a file without holes (qemu-img convert's), to the end of the archive, as ./NAME.</summary>
    public static Task AppendWholeAsync(string archive, string directory, string name, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Tar, [.. Attributes, "-C", directory, "-rf", archive, $"./{name}"], Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// Writes the root filesystem that an overlay of LAYERS (topmost first, read-only) shows, as an image tarball whose
    /// owners are the ones inside the container (see <see cref="WriteTreeAsync"/>). The overlay lives in a mount namespace
    /// of its own, which ends with the command: no mount is ever left behind.
    /// </summary>
    public static Task WriteMergedAsync(IReadOnlyList<string> layers, bool userXattrs, (uint Base, uint Size)? idmap, string mountPoint,
        string archive, CancellationToken cancellationToken) =>
        WriteImageAsync(OverlayMount(layers, userXattrs), mountPoint, idmap, archive, cancellationToken);

    /// <summary>
    /// Writes the root filesystem in DIRECTORY as an image tarball whose owners are the ones inside the container: with an
    /// id map, host uid BASE+n is written as n (tar's owner and group maps, kept beside the archive).
    /// </summary>
    public static Task WriteTreeAsync(string directory, (uint Base, uint Size)? idmap, string archive, CancellationToken cancellationToken) =>
        WriteImageAsync("", directory, idmap, archive, cancellationToken);

    /// <summary>Copies the root filesystem that an overlay of LAYERS shows into the existing directory TARGET (a private, passing mount).</summary>
    public static Task CopyMergedAsync(IReadOnlyList<string> layers, bool userXattrs, string mountPoint, string target, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(HostCommand.Resolve("unshare"),
            ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", OverlayMount(layers, userXattrs) + "exec \"$cp\" -a --reflink=auto -- \"$2\"/. \"$3\"",
                "sh", "", mountPoint, target],
            Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>The shell that mounts a read-only overlay of LAYERS on "$2" (options quoted in), as the start of a script.</summary>
    private static string OverlayMount(IReadOnlyList<string> layers, bool userXattrs)
    {
        var options = $"ro,lowerdir={string.Join(':', layers.Select(EscapeLayer))}{(userXattrs ? ",userxattr" : "")}";
        return $"cp={Quote(Cp)} && mount -t overlay -o {Quote(options)} overlay \"$2\" && ";
    }

    private static readonly string Cp = HostCommand.Resolve("cp");

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task WriteImageAsync(string mount, string directory, (uint Base, uint Size)? idmap, string archive, CancellationToken cancellationToken)
    {
        var maps = new List<string>();
        if (idmap is { } map)
        {
            var lines = Enumerable.Range(0, (int)map.Size).Select(id => $"+{map.Base + id} {id}:{id}\n");
            var owners = archive + ".owners";
            await File.WriteAllTextAsync(owners, string.Concat(lines), cancellationToken);
            maps.AddRange([$"--owner-map={owners}", $"--group-map={owners}"]);
        }
        // Only the capability and user xattrs: overlay's own are hidden by the mount, trusted.* is not the container's.
        var script = mount + "cd \"$2\" && out=$3 && tar=$4 && shift 4 && " +
            "exec \"$tar\" --create --file=- --xattrs --xattrs-include=security.capability --xattrs-include='user.*' --numeric-owner --sparse \"$@\" . > \"$out\"";
        try
        {
            await HostCommand.RunCheckedAsync(HostCommand.Resolve("unshare"),
                ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", "", directory, archive, Tar, .. maps],
                Timeout.InfiniteTimeSpan, cancellationToken);
        }
        finally
        {
            File.Delete(archive + ".owners");
        }
    }

    // Overlay's option parser splits lowerdir at ':' and the options at ','; a backslash escapes either.
    private static string EscapeLayer(string path) => path.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace(":", "\\:", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal);

    public static Task ExtractAsync(string archive, string directory, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(Tar, [.. Attributes, "--same-owner", "--same-permissions", "-C", directory, "-xf", archive],
            Timeout.InfiniteTimeSpan, cancellationToken);
}
