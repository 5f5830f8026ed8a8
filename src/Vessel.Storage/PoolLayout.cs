using Vessel.Core.Model;

namespace Vessel.Storage;

/// <summary>How every pool lays out its volumes below its root: a folder per volume kind, a volume per name in it.</summary>
internal static class PoolLayout
{
    /// <summary>Traversable by others, not listable: containers' mapped root users reach their own volumes through these.</summary>
    public const UnixFileMode PassThrough = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static readonly IReadOnlyDictionary<VolumeKind, string> KindDirectories = new Dictionary<VolumeKind, string>
    {
        [VolumeKind.Container] = "containers",
        [VolumeKind.VirtualMachine] = "virtual-machines",
        [VolumeKind.Custom] = "custom",
    };

    public static string VolumePath(string root, VolumeRef volume) => Path.Combine(root, KindDirectories[volume.Kind], volume.Name);

    public static IReadOnlyList<VolumeRef> ListVolumes(string root) =>
    [
        .. KindDirectories
            .Where(k => Directory.Exists(Path.Combine(root, k.Value)))
            .SelectMany(k => Directory.EnumerateDirectories(Path.Combine(root, k.Value))
                .Select(d => new VolumeRef(k.Key, Path.GetFileName(d)))),
    ];
}
