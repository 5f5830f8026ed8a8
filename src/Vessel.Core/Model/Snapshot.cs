namespace Vessel.Core.Model;

/// <summary>A point-in-time copy of an instance; a stateful one of a VM also holds its memory and device state.</summary>
public sealed record Snapshot
{
    public required string Instance { get; init; }
    public required string Name { get; init; }
    public bool Stateful { get; init; }
    public string Description { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the daemon deletes it by itself (snapshots.expiry, or the expiry it was taken with); null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;
}
