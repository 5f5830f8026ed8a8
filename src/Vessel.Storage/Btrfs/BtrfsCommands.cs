using System.Globalization;

namespace Vessel.Storage.Btrfs;

/// <summary>A host program and its arguments, as built; running it is someone else's business.</summary>
public sealed record Command(string Program, IReadOnlyList<string> Arguments)
{
    public override string ToString() => $"{Program} {string.Join(' ', Arguments)}";
}

/// <summary>The btrfs-progs and util-linux command lines the btrfs pool runs, built in one place (and unit-tested).</summary>
public static class BtrfsCommands
{
    private static readonly string[] Force = ["-f"], Loop = ["-o", "loop"], ReadOnly = ["-r"];

    public static Command Mkfs(string target, string label, bool force) =>
        new("mkfs.btrfs", ["-q", .. force ? Force : [], "-L", label, "--", target]);

    /// <summary>A loop file is mounted through a loop device that goes with the mount (autoclear), so no device is ever left.</summary>
    public static Command Mount(string source, string mountPoint, bool loop) =>
        new("mount", ["-t", "btrfs", .. loop ? Loop : [], "--", source, mountPoint]);

    public static Command Unmount(string mountPoint) => new("umount", ["--", mountPoint]);

    public static Command LoopDevicesOf(string file) => new("losetup", ["--noheadings", "--output", "NAME", "--associated", file]);

    public static Command DetachLoop(string device) => new("losetup", ["--detach", device]);

    /// <summary>Makes the loop device take its file's new length.</summary>
    public static Command RefreshLoopSize(string device) => new("losetup", ["--set-capacity", device]);

    /// <summary>Grows the (single-device) filesystem mounted at MOUNTPOINT to all of its device.</summary>
    public static Command GrowToDevice(string mountPoint) => new("btrfs", ["filesystem", "resize", "max", mountPoint]);

    /// <summary>The filesystem type blkid finds on a device, probing the device itself (not a cache); exit 2 when it finds none.</summary>
    public static Command Probe(string device) => new("blkid", ["-p", "-o", "value", "-s", "TYPE", "--", device]);

    public static Command Usage(string path) => new("btrfs", ["filesystem", "usage", "-b", path]);

    public static Command CreateSubvolume(string path) => new("btrfs", ["-q", "subvolume", "create", "--", path]);

    public static Command Snapshot(string source, string target, bool readOnly) =>
        new("btrfs", ["-q", "subvolume", "snapshot", .. readOnly ? ReadOnly : [], "--", source, target]);

    public static Command DeleteSubvolume(string path) => new("btrfs", ["-q", "subvolume", "delete", "--", path]);

    /// <summary>The subvolume's path from the filesystem's top level on its first line ("/" for the top level itself).</summary>
    public static Command ShowSubvolume(string path) => new("btrfs", ["subvolume", "show", "--", path]);

    /// <summary>The subvolumes whose parent is the one at PATH, with paths from the top level ("ID 257 gen 7 top level 256 path a/b").</summary>
    public static Command ChildSubvolumes(string path) => new("btrfs", ["subvolume", "list", "-o", path]);

    public static Command SetReadOnly(string path, bool readOnly) =>
        new("btrfs", ["property", "set", "-ts", path, "ro", readOnly ? "true" : "false"]);

    public static Command EnableQuota(string path) => new("btrfs", ["quota", "enable", path]);

    /// <summary>Waits for the rescan that enabling quotas started, without starting one.</summary>
    public static Command WaitForRescan(string path) => new("btrfs", ["quota", "rescan", "-W", path]);

    public static Command ShowQgroups(string path) => new("btrfs", ["qgroup", "show", path]);

    /// <summary>The qgroup of the subvolume at PATH alone, in bytes; fails when the filesystem keeps no quotas.</summary>
    public static Command ShowOwnQgroup(string path) => new("btrfs", ["qgroup", "show", "--raw", "-f", path]);

    /// <summary>An exclusive limit: what the subvolume holds alone, not what it shares with its image or snapshots.</summary>
    public static Command LimitExclusive(string path, long? bytes) =>
        new("btrfs", ["qgroup", "limit", "-e", bytes is { } b ? b.ToString(CultureInfo.InvariantCulture) : "none", path]);

    /// <summary>No copy-on-write for files made in the directory from now on (chattr +C).</summary>
    public static Command NoCopyOnWrite(string directory) => new("chattr", ["+C", directory]);

    /// <summary>Paths of the child subvolumes listed by <see cref="ChildSubvolumes"/>, as host paths below PARENT (whose own top-level path is given).</summary>
    public static IReadOnlyList<string> ParseChildren(string listing, string parent, string parentTopLevelPath)
    {
        var prefix = parentTopLevelPath is "/" or "" ? "" : parentTopLevelPath.Trim('/') + "/";
        var children = new List<string>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = line.IndexOf(" path ", StringComparison.Ordinal);
            if (at < 0)
                continue;
            var path = line[(at + " path ".Length)..];
            // A parent that is the top level's only child may be listed with "<FS_TREE>/" before the path.
            if (path.StartsWith("<FS_TREE>/", StringComparison.Ordinal))
                path = path["<FS_TREE>/".Length..];
            if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length)
                children.Add(Path.Combine(parent, path[prefix.Length..]));
        }
        return children;
    }
}
