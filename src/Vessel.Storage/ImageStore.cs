using System.Security.Cryptography;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Validation;
using Vessel.Storage.Images;

namespace Vessel.Storage;

/// <param name="ReplaceAlias">Whether the alias may name another image already, which it then leaves (a rebuild does that);
/// otherwise such an alias is refused.</param>
public sealed record ImageImport(InstanceType? Type, string? Architecture, string Description, string? Alias, bool ReplaceAlias = false);

/// <summary>
/// Content-addressed, immutable images: images/&lt;sha256&gt;/ holds the file and metadata.json. A file is
/// streamed into a staging directory while it is hashed and only renamed into place whole, so an
/// interrupted import never leaves a half image.
/// </summary>
public sealed class ImageStore(string directory, IStateStore store)
{
    public static readonly string[] Architectures = ["x86_64", "aarch64"];

    // From the existence check to the database row, one import at a time: otherwise a second import of the same file
    // takes the first one's fresh directory for a crash leftover and deletes it. Static: the section is short, a
    // daemon has one image store, and the store need not become disposable.
    private static readonly SemaphoreSlim Commit = new(1, 1);

    private string StagingDirectory => Path.Combine(directory, ".staging");

    public string ImagePath(Image image) => Path.Combine(directory, image.Fingerprint, image.Filename);

    /// <summary>An architecture images are made for, or the host's when null.</summary>
    /// <exception cref="BadRequestException">Not one of <see cref="Architectures"/>.</exception>
    public static string ArchitectureOrHost(string? architecture)
    {
        architecture ??= HostArchitecture;
        return Architectures.Contains(architecture)
            ? architecture
            : throw new BadRequestException($"architecture: \"{architecture}\" is not one of {string.Join(", ", Architectures)}");
    }

    public Task<Image> ImportAsync(Stream content, ImageImport request, CancellationToken cancellationToken) =>
        ImportAsync(request, upload => CopyHashingAsync(content, upload, cancellationToken), cancellationToken);

    /// <summary>Imports the file <paramref name="write"/> makes at the path it is given in a staging directory, with its hash, size and first bytes.</summary>
    private async Task<Image> ImportAsync(ImageImport request, Func<string, Task<(string Fingerprint, long Size, byte[] Header)>> write,
        CancellationToken cancellationToken)
    {
        var architecture = ArchitectureOrHost(request.Architecture);
        if (request.Alias is not null)
            Names.ValidateAlias("alias", request.Alias);

        var staging = Path.Combine(StagingDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        var committing = false;
        try
        {
            var upload = Path.Combine(staging, "upload");
            var (fingerprint, size, header) = await write(upload);
            var (format, type, filename) = ImageFormat.Resolve(header, size, request.Type);
            if (type == InstanceType.Container && await ArchiveInspector.InspectAsync(upload, format, cancellationToken) == ArchiveKind.OciLayout)
            {
                await OciLayoutCheck.CheckAsync(upload, cancellationToken);
                (format, filename) = (OciLayout.Format, OciLayout.Filename);
            }
            if (format == KernelImageLayout.Format)
                format = await KernelImageLayout.ValidateAsync(upload, cancellationToken);
            if (format == "qcow2")
            {
                ImageFormat.CheckStandaloneQcow2(header, "the disk");
                await ImageFormat.CheckQcow2TablesAsync(upload, "the disk", cancellationToken);
            }
            await Commit.WaitAsync(cancellationToken);
            committing = true;
            if (await store.GetImageAsync(fingerprint, cancellationToken) is { } existing)
                throw new ConflictException($"image {fingerprint[..12]} already exists" +
                    (existing.Aliases.Count > 0 ? $" (aliases: {string.Join(", ", existing.Aliases)})" : ""));
            if (request.Alias is not null && !request.ReplaceAlias)
                await CheckAliasFreeAsync(request.Alias, type, cancellationToken);

            var image = new Image
            {
                Fingerprint = fingerprint,
                Type = type,
                Architecture = architecture,
                Format = format,
                Filename = filename,
                Size = size,
                Description = request.Description,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            File.Move(upload, Path.Combine(staging, filename));
            File.SetUnixFileMode(Path.Combine(staging, filename), UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            await File.WriteAllTextAsync(Path.Combine(staging, "metadata.json"), JsonSerializer.Serialize(image, VesselJson.Wire.Image), cancellationToken);

            var final = Path.Combine(directory, fingerprint);
            if (Directory.Exists(final))
                Directory.Delete(final, recursive: true); // left by a crash between the rename and the database row
            Directory.Move(staging, final);
            try
            {
                await store.CreateImageAsync(image, CancellationToken.None);
            }
            catch
            {
                Directory.Delete(final, recursive: true);
                throw;
            }
            if (request.Alias is not null)
            {
                await store.SetAliasAsync(new ImageAlias(request.Alias, type, fingerprint, ""), cancellationToken: CancellationToken.None); // checked above, under Commit
                image = image with { Aliases = [request.Alias] };
            }
            return image;
        }
        finally
        {
            if (committing)
                Commit.Release();
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Imports a kernel and an initramfs, with the root disk they boot if one is given (a qcow2 that stands alone), as a
    /// kernel+initrd VM image: each is checked for what it is, then they are packed as <see cref="KernelImageLayout"/> says
    /// (the same files make the same image) and imported as that tarball. The files are the caller's, left where they are.
    /// </summary>
    /// <param name="commandLine">The kernel command line the image boots with; console=ttyS0 when null.</param>
    public async Task<Image> ImportKernelAsync(string kernel, string initrd, string? disk, string? commandLine, ImageImport request,
        CancellationToken cancellationToken)
    {
        if (request.Type == InstanceType.Container)
            throw new BadRequestException("a kernel and an initramfs make a virtual-machine image, not a container image");
        var version = KernelImageLayout.CheckKernel(kernel, ArchitectureOrHost(request.Architecture));
        KernelImageLayout.CheckInitrd(initrd);
        if (disk is not null)
            ImageFormat.CheckStandaloneQcow2(ImageFormat.HeadOf(disk), "the disk");
        var metadata = KernelImageLayout.Metadata(commandLine ?? "console=ttyS0", version, request.Description, withDisk: disk is not null);
        // Packed straight into the staging directory: the disk, maybe gigabytes, is copied once.
        return await ImportAsync(request with { Type = InstanceType.VirtualMachine }, async upload =>
        {
            await KernelImageLayout.WriteAsync(upload, kernel, initrd, metadata, disk, cancellationToken);
            await using var file = new FileStream(upload, FileMode.Open, FileAccess.ReadWrite);
            var hashed = await CopyHashingAsync(file, null, cancellationToken);
            file.Flush(flushToDisk: true);
            return hashed;
        }, cancellationToken);
    }

    /// <summary>Hashes CONTENT, copying it to PATH (flushed to disk) unless PATH is null.</summary>
    private static async Task<(string Fingerprint, long Size, byte[] Header)> CopyHashingAsync(Stream content, string? path, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var header = new byte[ImageFormat.HeaderLength];
        var headerLength = 0;
        long size = 0;
        var buffer = new byte[1 << 20];
        await using (var file = path is null ? null : new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (headerLength < header.Length)
                {
                    var take = Math.Min(read, header.Length - headerLength);
                    buffer.AsSpan(0, take).CopyTo(header.AsSpan(headerLength));
                    headerLength += take;
                }
                hash.AppendData(buffer, 0, read);
                if (file is not null)
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                size += read;
            }
            file?.Flush(flushToDisk: true);
        }
        if (size == 0)
            throw new BadRequestException("the image file is empty");
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size, header[..headerLength]);
    }

    /// <summary>
    /// Imports a file this daemon made (a build, a publish): when the same bytes are already stored, that image is the
    /// result, with the alias added, instead of a failure, so rebuilding is idempotent.
    /// </summary>
    public async Task<Image> ImportBuiltAsync(string path, ImageImport request, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        try
        {
            return await ImportAsync(file, request, cancellationToken);
        }
        catch (ConflictException)
        {
            await using var again = File.OpenRead(path);
            var fingerprint = Convert.ToHexStringLower(await SHA256.HashDataAsync(again, cancellationToken));
            if (await store.GetImageAsync(fingerprint, cancellationToken) is not { } existing)
                throw; // not the image but its alias was taken
            if (request.Alias is not null && !existing.Aliases.Contains(request.Alias))
            {
                await store.SetAliasAsync(new ImageAlias(request.Alias, existing.Type, fingerprint, ""), request.ReplaceAlias, cancellationToken);
                existing = existing with { Aliases = [.. existing.Aliases, request.Alias] };
            }
            return existing;
        }
    }

    /// <summary>Refuses an alias that names an image of the type already (as Incus does): taking it over would change what launches of it start.</summary>
    public async Task CheckAliasFreeAsync(string alias, InstanceType type, CancellationToken cancellationToken)
    {
        if ((await store.ListAliasesAsync(cancellationToken)).Any(a => a.Name == alias && a.Type == type))
            throw ImageAlias.Taken(alias);
    }

    /// <summary>A scratch directory for a build, removed with the other staging leftovers if the daemon dies.</summary>
    public string NewWorkDirectory() => Directory.CreateDirectory(Path.Combine(StagingDirectory, Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>Finds an image by alias (per instance type, as in Incus) or by a unique fingerprint prefix.</summary>
    public async Task<Image> ResolveAsync(string reference, InstanceType? type, CancellationToken cancellationToken)
    {
        var aliases = await store.ListAliasesAsync(cancellationToken);
        var byAlias = aliases.Where(a => a.Name == reference && (type is null || a.Type == type)).ToList();
        if (byAlias.Count > 1)
            throw new BadRequestException($"image alias \"{reference}\" names both a container and a virtual-machine image; say which type");
        if (byAlias.Count == 1)
            return await store.GetImageAsync(byAlias[0].Fingerprint, cancellationToken)
                ?? throw new NotFoundException($"image \"{reference}\" not found");

        if (Names.IsFingerprintPrefix(reference))
        {
            var matches = (await store.ListImagesAsync(cancellationToken))
                .Where(i => i.Fingerprint.StartsWith(reference, StringComparison.Ordinal)).ToList();
            if (matches.Count > 1)
                throw new BadRequestException($"fingerprint prefix \"{reference}\" matches {matches.Count} images; give more digits");
            if (matches.Count == 1)
            {
                if (type is { } want && matches[0].Type != want)
                    throw new BadRequestException($"image {reference} is a {matches[0].Type.Name()} image, not a {want.Name()} image");
                return matches[0];
            }
        }
        var kind = type is { } t ? $" for {t.Name()} instances" : "";
        throw new NotFoundException($"image \"{reference}\" not found{kind} (see vessel image list)");
    }

    public async Task DeleteAsync(Image image, CancellationToken cancellationToken)
    {
        await store.DeleteImageAsync(image.Fingerprint, cancellationToken);
        var path = Path.Combine(directory, image.Fingerprint);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// Run at daemon start: drops staging leftovers of imports a crash interrupted, and image directories
    /// the database does not know (a crash between the rename and the insert, or after a delete's row went).
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        // Others pass through to unpacked images (the lower layer of unprivileged containers), but cannot list them.
        Directory.CreateDirectory(directory).UnixFileMode = (UnixFileMode)0b111_001_001;
        var removed = new List<string>();
        if (Directory.Exists(StagingDirectory))
        {
            foreach (var entry in Directory.EnumerateDirectories(StagingDirectory))
            {
                Directory.Delete(entry, recursive: true);
                removed.Add(entry);
            }
        }
        var known = (await store.ListImagesAsync(cancellationToken)).Select(i => i.Fingerprint).ToHashSet();
        foreach (var entry in Directory.EnumerateDirectories(directory))
        {
            var name = Path.GetFileName(entry);
            if (name.Length == 64 && Names.IsFingerprintPrefix(name) && !known.Contains(name))
            {
                Directory.Delete(entry, recursive: true);
                removed.Add(entry);
            }
        }
        return removed;
    }

    public static string HostArchitecture => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "aarch64",
        _ => "x86_64",
    };
}
