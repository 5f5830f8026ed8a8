namespace Vessel.Core.Model;

/// <summary>An immutable image, named by the sha256 of its file.</summary>
public sealed record Image
{
    public required string Fingerprint { get; init; }
    public required InstanceType Type { get; init; }
    public required string Architecture { get; init; }
    /// <summary>The file's format: tar, tar.gz, tar.zst, tar.xz, oci (an OCI layout tarball), qcow2 or raw.</summary>
    public required string Format { get; init; }
    public required string Filename { get; init; }
    public long Size { get; init; }
    public string Description { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
}

public sealed record ImageAlias(string Name, InstanceType Type, string Fingerprint, string Description)
{
    /// <summary>What a request to give an alias that names an image already is told (as in Incus, an alias moves only by being deleted first).</summary>
    public static ConflictException Taken(string name) => new($"image alias \"{name}\" already exists; delete it first or choose another");
}
