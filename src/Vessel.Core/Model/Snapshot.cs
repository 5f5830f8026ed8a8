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
    /// <summary>
    /// A stateful VM snapshot's machine as its saved state holds it (vCPUs and devices, one "cpus=N" or "device=ID" each):
    /// the state loads only into the same. Null for other snapshots and for those taken before Vessel kept it.
    /// </summary>
    public IReadOnlyList<string>? StateDevices { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;
}
