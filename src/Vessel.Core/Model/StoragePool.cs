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
