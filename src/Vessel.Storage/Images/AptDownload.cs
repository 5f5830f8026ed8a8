namespace Vessel.Storage.Images;

/// <summary>
/// apt-get download of packages of one Debian architecture into a directory; nothing is installed. The host's own
/// architecture uses the host's package lists as they are. Another one gets package lists of its own, fetched from the
/// host's sources with the host's keyrings and apt.conf into a private Dir::State::Lists and Dir::Cache, with an empty
/// dpkg status: the host's dpkg architectures, apt lists and cache stay untouched, and no foreign maintainer script can
/// run (the packages are only unpacked, with dpkg-deb -x).
/// </summary>
internal sealed class AptDownload
{
    private readonly IReadOnlyList<string> _options;

    private AptDownload(string directory, IReadOnlyList<string> options) => (Directory, _options) = (directory, options);

    /// <summary>Where the .deb files land.</summary>
    public string Directory { get; }

    /// <param name="architecture">A Debian architecture: amd64, arm64…</param>
    /// <param name="scratch">A fresh directory this download may fill.</param>
    public static async Task<AptDownload> CreateAsync(string architecture, string scratch, CancellationToken cancellationToken)
    {
        var downloads = Writable(Path.Combine(scratch, "debs"));
        if (architecture == DebianBuildRequest.HostArchitecture())
            return new AptDownload(downloads, []);
        var apt = Path.Combine(scratch, "apt-" + architecture);
        var lists = Path.Combine(apt, "lists");
        var cache = Path.Combine(apt, "cache");
        Writable(Path.Combine(lists, "partial"));
        Writable(Path.Combine(cache, "archives", "partial"));
        var status = Path.Combine(apt, "status");
        await File.WriteAllTextAsync(status, "", cancellationToken);
        string[] options =
        [
            "-o", $"APT::Architecture={architecture}", "-o", $"APT::Architectures={architecture}",
            "-o", $"Dir::State::Lists={lists}", "-o", $"Dir::Cache={cache}", "-o", $"Dir::State::status={status}",
        ];
        await HostProgram.RunAsync("apt-get", [.. options, "update"], downloads, cancellationToken);
        return new AptDownload(downloads, options);
    }

    /// <summary>Downloads PACKAGE and returns the path of its .deb.</summary>
    public async Task<string> DownloadAsync(string package, CancellationToken cancellationToken)
    {
        await HostProgram.RunAsync("apt-get", [.. _options, "download", package], Directory, cancellationToken);
        return System.IO.Directory.GetFiles(Directory, $"{package}_*.deb").Single();
    }

    /// <summary>apt drops to its _apt user to download when it can; let it write here.</summary>
    private static string Writable(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        return directory;
    }
}
