namespace Vessel.Linux;

/// <summary>
/// The probe's only window on the host: files are read under <see cref="Root"/> and programs are
/// looked up there, so tests can point it at a fake tree in a temp directory.
/// </summary>
public sealed class HostFiles
{
    // root's PATH often lacks the sbin directories, where nft and mkfs.btrfs live; vessel-shim runs with no PATH at all.
    private static readonly string[] AlwaysSearched = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    /// <param name="root">Directory that stands for "/".</param>
    /// <param name="path">Colon-separated program search path (host paths, looked up under
    /// <paramref name="root"/>); null means the PATH environment variable.</param>
    public HostFiles(string root = "/", string? path = null)
    {
        Root = root;
        var entries = (path ?? Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        SearchDirectories = [.. entries.Concat(AlwaysSearched).Distinct()];
    }

    public string Root { get; }

    /// <summary>Host directories searched by <see cref="FindProgram"/>, in order.</summary>
    public IReadOnlyList<string> SearchDirectories { get; }

    /// <summary>Full path of a program → first line it prints for <c>--version</c>, or null.</summary>
    public Func<string, string?> RunVersion { get; init; } = ProgramRunner.FirstLineOfVersion;

    /// <summary>Full path of the KVM device → null when it opens read/write and answers
    /// KVM_GET_API_VERSION with 12, otherwise the reason it is not usable.</summary>
    public Func<string, string?> ProbeKvm { get; init; } = KvmDevice.Probe;

    /// <summary>Where the host path <paramref name="hostPath"/> lives under <see cref="Root"/>.</summary>
    public string PathOf(string hostPath) => Path.Join(Root.TrimEnd('/'), hostPath);

    public bool Exists(string hostPath) => Path.Exists(PathOf(hostPath));

    /// <summary>The file's text, or null when it is missing or unreadable.</summary>
    public string? ReadText(string hostPath)
    {
        try
        {
            return File.ReadAllText(PathOf(hostPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool DirectoryHasFiles(string hostPath)
    {
        var directory = PathOf(hostPath);
        return Directory.Exists(directory)
            && Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Any();
    }

    /// <summary>Full path of the first executable file called <paramref name="name"/> in
    /// <see cref="SearchDirectories"/>, or null.</summary>
    public string? FindProgram(string name)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var directory in SearchDirectories)
        {
            var candidate = new FileInfo(PathOf(Path.Join(directory, name)));
            if (candidate.Exists && (candidate.UnixFileMode & anyExecute) != 0)
            {
                return candidate.FullName;
            }
        }

        return null;
    }

    /// <summary><c>uname -r</c>, as the kernel publishes it under /proc.</summary>
    public string? KernelRelease() => ReadText("/proc/sys/kernel/osrelease")?.Trim();
}
