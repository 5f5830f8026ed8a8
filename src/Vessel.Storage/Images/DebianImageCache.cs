using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vessel.Storage.Images;

/// <summary>What a cached tarball was built from, and when: CACHE/ENTRY/stamp.json.</summary>
internal sealed record DebianImageStamp(int Format, string Suite, string Architecture, IReadOnlyList<string> Packages,
    DateTimeOffset BuiltAt, double BuildSeconds, bool VirtualMachine = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(DebianImageStamp))]
internal sealed partial class DebianImageJson : JsonSerializerContext;

/// <summary>
/// Built Debian tarballs by what they were built from: CACHE/SUITE-ARCH-HASH/rootfs.tar with a stamp.json beside it.
/// A tarball is taken while its stamp matches the request and is younger than the lifetime. The stamp is written
/// only after the tarball is in place and removed before a rebuild starts, so a tarball without a stamp (a crash
/// mid-way) is never taken. Builds of one entry take turns in this process; a daemon is the only builder.
/// </summary>
internal sealed class DebianImageCache(string directory, TimeSpan lifetime)
{
    private const int StampFormat = 1;
    private const string TarballName = "rootfs.tar";
    private const string StampName = "stamp.json";

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    public string EntryDirectory(DebianBuildRequest request)
    {
        var key = $"{StampFormat}\n{request.Suite}\n{request.Architecture}\n{string.Join(' ', request.Packages)}{(request.VirtualMachine ? "\nvm" : "")}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        return Path.Combine(Path.GetFullPath(directory), $"{request.Suite}-{request.Architecture}{(request.VirtualMachine ? "-vm" : "")}-{hash}");
    }

    /// <summary>Holds the entry until disposed, so that two builds of it do not run side by side.</summary>
    public async Task<IDisposable> LockAsync(DebianBuildRequest request, CancellationToken cancellationToken)
    {
        var gate = Locks.GetOrAdd(EntryDirectory(request), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    /// <summary>The cached tarball for the request, or null when there is none or it is too old.</summary>
    public string? Fresh(DebianBuildRequest request, DateTimeOffset now)
    {
        var entry = EntryDirectory(request);
        var tarball = Path.Combine(entry, TarballName);
        if (ReadStamp(entry) is not { } stamp || !File.Exists(tarball))
            return null;
        var matches = stamp.Format == StampFormat && stamp.Suite == request.Suite && stamp.Architecture == request.Architecture
            && stamp.VirtualMachine == request.VirtualMachine && stamp.Packages is { } packages && packages.SequenceEqual(request.Packages, StringComparer.Ordinal);
        return matches && IsYoung(stamp, now) ? tarball : null;
    }

    /// <summary>Makes the entry directory and drops its stamp and any leftovers of an earlier, interrupted build.</summary>
    public void BeginRebuild(DebianBuildRequest request)
    {
        var entry = Directory.CreateDirectory(EntryDirectory(request)).FullName;
        File.Delete(Path.Combine(entry, StampName));
        foreach (var leftover in Directory.EnumerateFiles(entry, "*.partial"))
            File.Delete(leftover);
    }

    /// <summary>Moves a built tarball into the entry (atomically replacing the old one), then stamps it; returns its path.</summary>
    public string Commit(DebianBuildRequest request, string builtTarball, DateTimeOffset builtAt, TimeSpan took)
    {
        var entry = EntryDirectory(request);
        var tarball = Path.Combine(entry, TarballName);
        // The first move may cross file systems (a copy); only the second, within the entry, must be atomic.
        var incoming = Path.Combine(entry, $"{TarballName}.{Guid.NewGuid():N}.partial");
        try
        {
            File.Move(builtTarball, incoming);
            File.Move(incoming, tarball, overwrite: true);
        }
        finally
        {
            File.Delete(incoming);
        }
        var stamp = new DebianImageStamp(StampFormat, request.Suite, request.Architecture, request.Packages, builtAt, Math.Round(took.TotalSeconds, 1),
            request.VirtualMachine);
        var stampPath = Path.Combine(entry, StampName);
        var partialStamp = $"{stampPath}.{Guid.NewGuid():N}.partial";
        File.WriteAllBytes(partialStamp, JsonSerializer.SerializeToUtf8Bytes(stamp, DebianImageJson.Default.DebianImageStamp));
        File.Move(partialStamp, stampPath, overwrite: true);
        return tarball;
    }

    /// <summary>Deletes the other entries whose stamps have expired, skipping any that a build holds right now.</summary>
    public void PruneExpired(DebianBuildRequest keep, DateTimeOffset now)
    {
        if (!Directory.Exists(directory))
            return;
        var kept = EntryDirectory(keep);
        foreach (var entry in Directory.EnumerateDirectories(Path.GetFullPath(directory)))
        {
            if (entry == kept || ReadStamp(entry) is not { } stamp || IsYoung(stamp, now))
                continue;
            var gate = Locks.GetOrAdd(entry, _ => new SemaphoreSlim(1, 1));
            if (!gate.Wait(0))
                continue;
            try
            {
                Directory.Delete(entry, recursive: true);
            }
            catch (IOException)
            {
                // Another process holds it, or it is half gone already: the next build tries again.
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private bool IsYoung(DebianImageStamp stamp, DateTimeOffset now) =>
        stamp.BuiltAt <= now + TimeSpan.FromMinutes(5) && now - stamp.BuiltAt < lifetime;

    private static DebianImageStamp? ReadStamp(string entry)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(entry, StampName)), DebianImageJson.Default.DebianImageStamp);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }
}
