using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vessel.Core;

namespace Vessel.Storage.Images;

/// <summary>
/// The files of an OCI image layout directory: index.json and blobs/sha256/HEX, each blob checked against the
/// size and digest of the descriptor that names it. No path in the layout may be a symbolic link.
/// </summary>
internal sealed class OciBlobStore(string directory, string name)
{
    private const int MaxJsonSize = 4 << 20;

    public string Name => name;

    public async Task<OciIndex> ReadIndexAsync(CancellationToken cancellationToken)
    {
        if (PathKinds.Of(Path.Combine(directory, "oci-layout")) != PathKind.Other)
            throw new BadRequestException($"{name}: not an OCI image layout (no oci-layout file)");
        var path = Path.Combine(directory, "index.json");
        if (PathKinds.Of(path) != PathKind.Other)
            throw new BadRequestException($"{name}: the OCI image layout has no index.json");
        if (new FileInfo(path).Length > MaxJsonSize)
            throw new BadRequestException($"{name}: index.json is larger than {MaxJsonSize} bytes");
        return Deserialize(await File.ReadAllBytesAsync(path, cancellationToken), OciJson.Default.OciIndex, "index.json");
    }

    /// <summary>Reads a small JSON blob (an index or a manifest), checked against its descriptor.</summary>
    public async Task<T> ReadJsonAsync<T>(OciDescriptor descriptor, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var path = PathOf(descriptor);
        if (descriptor.Size > MaxJsonSize)
            throw new BadRequestException($"{name}: {descriptor.MediaType} {descriptor.Digest} is larger than {MaxJsonSize} bytes");
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        Check(descriptor, bytes.Length, SHA256.HashData(bytes));
        return Deserialize(bytes, type, descriptor.Digest);
    }

    /// <summary>Hashes a blob in full and checks it against its descriptor.</summary>
    public async Task VerifyAsync(OciDescriptor descriptor, CancellationToken cancellationToken)
    {
        await using var file = RootfsExtractor.OpenSequential(PathOf(descriptor));
        var hash = await SHA256.HashDataAsync(file, cancellationToken);
        Check(descriptor, file.Length, hash);
    }

    public FileStream Open(OciDescriptor descriptor) => RootfsExtractor.OpenSequential(PathOf(descriptor));

    /// <summary>Where the blob is inside a layout: blobs/sha256/HEX.</summary>
    /// <param name="name">Names the layout in the error.</param>
    /// <exception cref="BadRequestException">The digest is no sha256 digest.</exception>
    public static string BlobOf(OciDescriptor descriptor, string name)
    {
        const string prefix = "sha256:";
        // JSON may leave out what the record declares non-null.
        var digest = descriptor.Digest ?? "";
        var hex = digest.StartsWith(prefix, StringComparison.Ordinal) ? digest[prefix.Length..] : "";
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigitLower))
            throw new BadRequestException($"{name}: digest \"{descriptor.Digest}\" is not a sha256 digest (sha256: and 64 lower-case hex digits)");
        return $"blobs/sha256/{hex}";
    }

    private string PathOf(OciDescriptor descriptor)
    {
        var blob = BlobOf(descriptor, name);
        foreach (var part in new[] { "blobs", "blobs/sha256", blob })
        {
            var kind = PathKinds.Of(Path.Combine(directory, part));
            if (kind == PathKind.Missing)
                throw new BadRequestException($"{name}: blob {descriptor.Digest} is missing");
            if (kind == PathKind.SymbolicLink)
                throw new BadRequestException($"{name}: \"{part}\" is a symbolic link");
        }
        return Path.Combine(directory, blob);
    }

    private void Check(OciDescriptor descriptor, long size, byte[] hash)
    {
        if (size != descriptor.Size)
            throw new BadRequestException($"{name}: blob {descriptor.Digest} has {size} bytes, its descriptor says {descriptor.Size}");
        var actual = "sha256:" + Convert.ToHexStringLower(hash);
        if (actual != descriptor.Digest)
            throw new BadRequestException($"{name}: blob {descriptor.Digest} does not match its digest (its content hashes to {actual})");
    }

    private T Deserialize<T>(byte[] json, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"{name}: {what} is not valid JSON for an OCI {typeof(T).Name[3..].ToLowerInvariant()}: {e.Message}");
        }
    }
}
