namespace Vessel.Storage.Images;

/// <summary>How an archive is unpacked into a root filesystem.</summary>
public sealed record ExtractOptions
{
    /// <summary>
    /// Creates character and block device entries (privileged containers only). Otherwise they are skipped and
    /// counted in <see cref="ExtractResult.SkippedDeviceNodes"/>; FIFOs are always created.
    /// </summary>
    public bool AllowDeviceNodes { get; init; }

    /// <summary>Added to every entry's uid (and to the owner of directories the archive does not describe).</summary>
    public int UidOffset { get; init; }

    /// <summary>Added to every entry's gid (and to the group of directories the archive does not describe).</summary>
    public int GidOffset { get; init; }
}
