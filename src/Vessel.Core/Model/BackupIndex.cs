namespace Vessel.Core.Model;

/// <summary>
/// index.json, the first entry of a backup file (`vessel export`): what the instance was, its image and snapshots,
/// and a sha256 per part, so that a changed or cut file is refused before anything is made from it.
/// </summary>
public sealed record BackupIndex
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required Instance Instance { get; init; }
    public required Image Image { get; init; }
    public List<Snapshot> Snapshots { get; init; } = [];
    public required List<BackupPart> Parts { get; init; }
    /// <summary>This export's id, which the instance keeps as volatile.export.id: an incremental export names it as Since.</summary>
    public string? Id { get; init; }
    /// <summary>For an incremental export (a VM's changed clusters only, no image): the id of the export it follows.</summary>
    public string? Since { get; init; }
}

/// <summary>A file of the backup: image/FILENAME (the instance's image) or volume.tar (its root).</summary>
public sealed record BackupPart(string Name, string Sha256, long Size);
