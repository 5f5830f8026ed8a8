using Vessel.Core.Drivers;
using Vessel.Linux;

namespace Vessel.Storage.Btrfs;

/// <summary>Subvolumes, snapshots and qgroup limits of one btrfs pool, whose data lives under ROOT.</summary>
public sealed class BtrfsSubvolumes(string root) : ISubvolumes
{
    private const string Images = "images";

    public string Root { get; } = root;

    public string ImagePath(string fingerprint, string variant) => Path.Combine(Root, Images, $"{fingerprint}-{variant}");

    public async Task DeleteImageAsync(string fingerprint, CancellationToken cancellationToken)
    {
        var images = Path.Combine(Root, Images);
        if (!Directory.Exists(images))
            return;
        // Unpackings left half-done are named .FP-VARIANT-TEMP.
        foreach (var path in Directory.EnumerateDirectories(images, $"{fingerprint}-*").Concat(Directory.EnumerateDirectories(images, $".{fingerprint}-*")))
            await DeleteAsync(path, cancellationToken);
    }

    public Task CreateAsync(string path, CancellationToken cancellationToken) => RunAsync(BtrfsCommands.CreateSubvolume(path), cancellationToken);

    public Task SnapshotAsync(string source, string target, bool readOnly, CancellationToken cancellationToken) =>
        RunAsync(BtrfsCommands.Snapshot(source, target, readOnly), cancellationToken);

    public Task SetReadOnlyAsync(string path, bool readOnly, CancellationToken cancellationToken) =>
        RunAsync(BtrfsCommands.SetReadOnly(path, readOnly), cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken) => DeleteAsync(path, null, cancellationToken);

    /// <summary>
    /// Deletes the subvolume at PATH after the subvolumes nested in it. The listing of those is text a container can shape
    /// (names with newlines, links): a listed child is deleted only when every step from TOP down to it is a real
    /// directory, never a link, and it is a subvolume; only TOP itself may be a plain directory.
    /// </summary>
    private static async Task DeleteAsync(string path, string? top, CancellationToken cancellationToken)
    {
        if (top is not null && !ReachedWithoutLinks(top, path))
            return;
        if (!Directory.Exists(path))
            return;
        var show = await HostCommand.RunAsync(HostCommand.Resolve("btrfs"), BtrfsCommands.ShowSubvolume(path).Arguments, cancellationToken: cancellationToken);
        if (show.Code != 0)
        {
            if (top is null)
                Directory.Delete(path, recursive: true); // a plain directory (made before it was a subvolume)
            return;
        }
        var own = show.Output.Split('\n', 2)[0].Trim();
        var children = BtrfsCommands.ParseChildren(await RunAsync(BtrfsCommands.ChildSubvolumes(path), cancellationToken), path, own);
        foreach (var child in children)
            await DeleteAsync(child, top ?? path, cancellationToken);
        await RunAsync(BtrfsCommands.DeleteSubvolume(path), cancellationToken);
    }

    /// <summary>True when PATH lies below TOP and no step from TOP down to it is a symbolic link.</summary>
    private static bool ReachedWithoutLinks(string top, string path)
    {
        var relative = Path.GetRelativePath(top, path);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            return false;
        var step = top;
        foreach (var part in relative.Split('/'))
        {
            step = Path.Combine(step, part);
            if (new DirectoryInfo(step) is { LinkTarget: not null } || !Directory.Exists(step))
                return false;
        }
        return true;
    }

    public async Task SetQuotaAsync(string path, long? bytes, CancellationToken cancellationToken)
    {
        var enabled = (await HostCommand.RunAsync(HostCommand.Resolve("btrfs"), BtrfsCommands.ShowQgroups(Root).Arguments,
            cancellationToken: cancellationToken)).Code == 0;
        if (!enabled)
        {
            if (bytes is null)
                return; // no quota to lift
            await RunAsync(BtrfsCommands.EnableQuota(Root), cancellationToken);
            await RunAsync(BtrfsCommands.WaitForRescan(Root), cancellationToken);
        }
        await RunAsync(BtrfsCommands.LimitExclusive(path, bytes), cancellationToken);
    }

    public async Task<long?> ExclusiveBytesAsync(string path, CancellationToken cancellationToken)
    {
        var show = BtrfsCommands.ShowOwnQgroup(path);
        var result = await HostCommand.RunAsync(HostCommand.Resolve(show.Program), show.Arguments, cancellationToken: cancellationToken);
        return result.Code == 0 ? BtrfsUsage.Exclusive(result.Output) : null; // quotas are off: nothing cheap tells what it holds alone
    }

    /// <summary>Runs the command; a failure throws with the command and its error output.</summary>
    internal static Task<string> RunAsync(Command command, CancellationToken cancellationToken) =>
        HostCommand.RunCheckedAsync(HostCommand.Resolve(command.Program), command.Arguments, TimeSpan.FromMinutes(5), cancellationToken);
}
