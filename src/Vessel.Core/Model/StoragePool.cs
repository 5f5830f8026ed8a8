namespace Vessel.Core.Model;

public sealed record StoragePool
{
    public required string Name { get; init; }
    public required string Driver { get; init; }
    /// <summary>Where the pool keeps its data on the host (a directory for the dir driver).</summary>
    public required string Source { get; init; }
    public string Description { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record PoolUsage(long UsedBytes, long TotalBytes);

public enum VolumeKind { Container, VirtualMachine, Custom }

public sealed record VolumeRef(VolumeKind Kind, string Name);

/// <summary>
/// A custom volume: storage of its own in a pool, apart from any instance's root, attached to instances as a disk device
/// (pool=POOL source=NAME). A filesystem volume is a directory mounted into containers; a block volume is a raw disk
/// image given to VMs as a virtio-blk disk.
/// </summary>
public sealed record StorageVolume
{
    public const string Filesystem = "filesystem", Block = "block";

    public required string Pool { get; init; }
    public required string Name { get; init; }
    /// <summary><see cref="Filesystem"/> or <see cref="Block"/>.</summary>
    public required string ContentType { get; init; }
    /// <summary>size (a block volume's length in bytes).</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();
    public string Description { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}
