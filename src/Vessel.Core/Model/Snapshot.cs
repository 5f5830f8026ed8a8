namespace Vessel.Core.Model;

/// <summary>A point-in-time copy of an instance; a stateful one of a VM also holds its memory and device state.</summary>
public sealed record Snapshot
{
    public required string Instance { get; init; }
    public required string Name { get; init; }
    public bool Stateful { get; init; }
    public string Description { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}
