using System.Diagnostics;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// Builds a Debian system-container root filesystem with mmdebstrap from the host's apt mirror: the minbase variant
/// plus systemd-sysv (so /sbin/init is systemd) and iproute2, as an uncompressed tarball with no device nodes (the
/// runtime makes /dev), an empty /etc/machine-id (systemd fills it at first boot), no /etc/hostname (the runtime
/// names the container), an empty /etc/resolv.conf, a locked root password and no apt lists or package cache.
/// Builds are not reproducible byte for byte; a cache keeps each (suite, architecture, packages) for a day.
/// </summary>
public static class DebianImage
{
    /// <summary>Installed into every image besides the minbase set.</summary>
    public static readonly IReadOnlyList<string> BasePackages = ["systemd-sysv", "iproute2"];

    private const UnixFileMode Mode0755 = (UnixFileMode)0b111_101_101;

    /// <summary>
    /// Returns a rootfs tarball for <paramref name="options"/>. Without a cache directory it is WORK/rootfs.tar,
    /// built now. With one it is the cache's copy (CACHE/SUITE-ARCH-HASH/rootfs.tar): taken as it is when younger
    /// than the cache lifetime, otherwise rebuilt first. The cache's copy belongs to the cache: read it, do not move
    /// or delete it. WORK holds the build's scratch files while it runs (mmdebstrap's chroot, a few hundred MB).
    /// </summary>
    /// <exception cref="BadRequestException">A suite, package or architecture that is not a Debian name.</exception>
    /// <exception cref="NotSupportedYetException">mmdebstrap or unshare is missing, or this process is not root.</exception>
    /// <exception cref="VesselException">500: the host's apt sources name no Debian archive, or mmdebstrap failed
    /// (the message ends with the last lines it wrote to stderr).</exception>
    /// <exception cref="OperationCanceledException">Cancelled: the build's processes are killed and its files removed.</exception>
    public static async Task<string> BuildAsync(string workDirectory, DebianImageOptions options, CancellationToken cancellationToken)
    {
        var request = DebianBuildRequest.From(options);
        if (options.CacheDirectory is null)
        {
            CheckHost(options);
            Directory.CreateDirectory(workDirectory);
            var path = Path.Combine(workDirectory, "rootfs.tar");
            var built = await BuildTarballAsync(workDirectory, request, options, cancellationToken);
            File.Move(built, path, overwrite: true);
            return path;
        }

        var cache = new DebianImageCache(options.CacheDirectory, options.CacheLifetime);
        using (await cache.LockAsync(request, cancellationToken))
        {
            if (cache.Fresh(request, DateTimeOffset.UtcNow) is { } cached)
                return cached;
            CheckHost(options);
            cache.BeginRebuild(request);
            var started = Stopwatch.GetTimestamp();
            var built = await BuildTarballAsync(workDirectory, request, options, cancellationToken);
            string tarball;
            try
            {
                tarball = cache.Commit(request, built, DateTimeOffset.UtcNow, Stopwatch.GetElapsedTime(started));
            }
            finally
            {
                File.Delete(built);
            }
            cache.PruneExpired(request, DateTimeOffset.UtcNow);
            return tarball;
        }
    }

    /// <summary>The programs a build runs, and root: mmdebstrap's root mode mounts and chroots.</summary>
    private static void CheckHost(DebianImageOptions options)
    {
        if (!File.Exists(options.Mmdebstrap))
            throw new NotSupportedYetException($"{options.Mmdebstrap} is missing; the debian image is built with mmdebstrap (apt-get install mmdebstrap)");
        if (!File.Exists(options.Unshare))
            throw new NotSupportedYetException($"{options.Unshare} is missing; the debian image is built inside unshare (apt-get install util-linux)");
        if (!Environment.IsPrivilegedProcess)
            throw new NotSupportedYetException("building the debian image needs root: mmdebstrap runs in its root mode");
    }

    /// <summary>
    /// Runs mmdebstrap and returns the finished tarball, WORK/rootfs.tar.GUID.partial. Its scratch directory (the
    /// sources file, mmdebstrap's temporary chroot) is gone when this returns or throws, and so is the tarball if it throws.
    /// </summary>
    private static async Task<string> BuildTarballAsync(string workDirectory, DebianBuildRequest request, DebianImageOptions options, CancellationToken cancellationToken)
    {
        var sources = AptSources.Render(AptSources.ReadHost(options.AptDirectory), request.Suite)
            ?? throw new VesselException(500, $"the host's apt sources ({Path.Combine(options.AptDirectory, "sources.list")} and sources.list.d/) " +
                "name no Debian archive to build from: an enabled 'deb' entry for main (contrib, non-free, non-free-firmware) whose " +
                "Signed-By, if any, is a debian-archive keyring");

        workDirectory = Path.GetFullPath(workDirectory);
        var id = Guid.NewGuid().ToString("N");
        var tarball = Path.Combine(workDirectory, $"rootfs.tar.{id}.partial");
        var scratch = Path.Combine(workDirectory, $".debian-{id}");
        // apt downloads as _apt, which must be able to reach mmdebstrap's chroot below the scratch directory.
        Directory.CreateDirectory(scratch, Mode0755);
        var succeeded = false;
        try
        {
            var build = new MmdebstrapBuild(scratch, tarball, request, options);
            await File.WriteAllTextAsync(build.SourcesFile, sources, cancellationToken);
            await build.RunAsync(cancellationToken);
            // Built without /dev (mmdebstrap would put device nodes there): add the directory, empty, for the runtime to mount on.
            await TarAppend.DirectoryAsync(tarball, "./dev/", Mode0755, DateTimeOffset.UtcNow, cancellationToken);
            succeeded = true;
            return tarball;
        }
        finally
        {
            await RemoveAsync(scratch);
            if (!succeeded)
                File.Delete(tarball);
        }
    }

    /// <summary>
    /// Deletes the scratch directory, with a few tries: the processes of a killed build may still be exiting. Nothing
    /// in it is a mount point seen from here, as mmdebstrap mounted inside a mount namespace of its own.
    /// </summary>
    private static async Task RemoveAsync(string scratch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None);
            }
        }
    }
}
