namespace Vessel.Core.Drivers;

/// <summary>
/// Directory trees of a pool that are snapshotted in O(1) (btrfs subvolumes): what lets an engine keep a container's
/// root as a snapshot of its image instead of an overlay. Every path is a host path inside the pool.
/// </summary>
public interface ISubvolumes
{
    /// <summary>Where the pool keeps an image unpacked (VARIANT says how, e.g. its owners' offset) that instances' roots are snapshots of.</summary>
    string ImagePath(string fingerprint, string variant);

    /// <summary>Removes every unpacking of the image from the pool (the roots taken from it stay whole).</summary>
    Task DeleteImageAsync(string fingerprint, CancellationToken cancellationToken);

    /// <summary>Makes an empty subvolume at PATH; its parent directory must exist.</summary>
    Task CreateAsync(string path, CancellationToken cancellationToken);

    /// <summary>Makes TARGET a snapshot of the subvolume SOURCE, read-only or writable. Fails when TARGET exists.</summary>
    Task SnapshotAsync(string source, string target, bool readOnly, CancellationToken cancellationToken);

    Task SetReadOnlyAsync(string path, bool readOnly, CancellationToken cancellationToken);

    /// <summary>Removes the subvolume at PATH with the subvolumes nested in it; nothing when PATH does not exist.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken);

    /// <summary>Limits what the subvolume holds beyond what it shares with others (its image, its snapshots); null lifts the limit.</summary>
    Task SetQuotaAsync(string path, long? bytes, CancellationToken cancellationToken);

    /// <summary>
    /// What the subvolume holds alone, not shared with its image or its snapshots (its qgroup's exclusive bytes, as of the
    /// last commit); null when the pool keeps no quotas (they are turned on by the first quota set in it).
    /// </summary>
    Task<long?> ExclusiveBytesAsync(string path, CancellationToken cancellationToken);
}
