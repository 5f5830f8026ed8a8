using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Linux;
using static Vessel.Storage.PoolLayout;
using Vessel.Storage.Btrfs;

namespace Vessel.Storage;

/// <summary>
/// A pool on a btrfs filesystem: every volume is a subvolume, and engines get O(1) snapshots of them (<see cref="ISubvolumes"/>).
/// The filesystem is a sparse loop file under Vessel's state directory (no source; DISKS/NAME.img mounted at POOLS/NAME), a
/// block device given by its /dev path (formatted when empty, mounted at POOLS/NAME), or a directory on a btrfs filesystem
/// the host has mounted (used where it is). Loop files and devices are mounted again when the daemon starts.
/// </summary>
/// <param name="poolsDirectory">Where loop-file and device pools are mounted (POOLS/NAME).</param>
/// <param name="disksDirectory">Where loop files are kept (DISKS/NAME.img).</param>
public sealed class BtrfsStorageDriver(string poolsDirectory, string disksDirectory) : IStorageDriver
{
    public string Name => "btrfs";

    private const string SizeKey = "size", WipeKey = "source.wipe";
    private enum SourceKind { LoopFile, BlockDevice, Directory }

    private SourceKind KindOf(StoragePool pool) =>
        pool.Source.StartsWith("/dev/", StringComparison.Ordinal) ? SourceKind.BlockDevice
        : IsLoopFile(pool.Source) ? SourceKind.LoopFile
        : SourceKind.Directory;

    private bool IsLoopFile(string source) =>
        Path.GetDirectoryName(source) == Path.TrimEndingDirectorySeparator(disksDirectory) && source.EndsWith(".img", StringComparison.Ordinal);

    /// <summary>Where the pool's subvolumes live: the mount point of its loop file or device, or its directory.</summary>
    private string Root(StoragePool pool) => KindOf(pool) == SourceKind.Directory ? pool.Source : Path.Combine(poolsDirectory, pool.Name);

    // Pools

    public async Task<StoragePool> ValidatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        foreach (var key in config.Keys.Where(k => k is not (SizeKey or WipeKey)))
            throw new BadRequestException($"{key}: unknown btrfs pool setting (known: {SizeKey}, {WipeKey})");
        if (config.TryGetValue(WipeKey, out var wipe) && wipe is not ("true" or "false"))
            throw new BadRequestException($"{WipeKey}: \"{wipe}\" is not true or false");
        if (pool.Source.Length == 0)
        {
            var file = Path.Combine(disksDirectory, pool.Name + ".img");
            if (File.Exists(file))
                throw new ConflictException($"source: the loop file {file} exists already (left by another pool of that name?)");
            Directory.CreateDirectory(disksDirectory);
            PoolSize.Of(config.GetValueOrDefault(SizeKey), new DriveInfo(disksDirectory).AvailableFreeSpace);
            return pool with { Source = file };
        }
        if (!Path.IsPathFullyQualified(pool.Source))
            throw new BadRequestException($"source: \"{pool.Source}\" is not an absolute path");
        if (config.ContainsKey(SizeKey))
            throw new BadRequestException($"{SizeKey}: only a loop-file pool (no source) has a size; a device or a directory gives what it has");
        if (pool.Source.StartsWith("/dev/", StringComparison.Ordinal))
        {
            await CheckDeviceAsync(pool.Source, wipe == "true", cancellationToken);
            return pool;
        }
        if (wipe is not null)
            throw new BadRequestException($"{WipeKey}: only a block device source can be wiped");
        if (File.Exists(pool.Source))
            throw new BadRequestException($"source: \"{pool.Source}\" is a file; give a block device (/dev/...), a directory on a btrfs filesystem, or no source for a loop file");
        var existing = pool.Source;
        while (!Directory.Exists(existing))
            existing = Path.GetDirectoryName(existing)!;
        var type = MountTable.FileSystemTypeOf(existing);
        if (type != "btrfs")
            throw new BadRequestException($"source: \"{pool.Source}\" is on a {type} filesystem, not btrfs; give a directory on a btrfs filesystem, a block device, or no source for a loop file");
        if (Directory.Exists(pool.Source) && Directory.EnumerateFileSystemEntries(pool.Source).Any())
            throw new BadRequestException($"source: directory \"{pool.Source}\" is not empty; a btrfs pool needs an empty or new directory");
        return pool;
    }

    /// <summary>A device is formatted only when it holds nothing blkid knows (or the caller asked to wipe it) and nothing mounts it.</summary>
    private static async Task CheckDeviceAsync(string device, bool wipe, CancellationToken cancellationToken)
    {
        var type = (await HostCommand.RunAsync("/usr/bin/stat", ["-L", "-c", "%F", "--", device], cancellationToken: cancellationToken));
        if (type.Code != 0)
            throw new BadRequestException($"source: \"{device}\" does not exist");
        if (type.Output.Trim() != "block special file")
            throw new BadRequestException($"source: \"{device}\" is a {type.Output.Trim()}, not a block device");
        var probe = BtrfsCommands.Probe(device);
        var found = await HostCommand.RunAsync(HostCommand.Resolve(probe.Program), probe.Arguments, cancellationToken: cancellationToken);
        var holds = found.Code == 0 ? found.Output.Trim() : "";
        if (holds.Length > 0 && !wipe)
            throw new BadRequestException($"source: {device} holds a {holds} filesystem; Vessel formats only empty devices (set {WipeKey}=true to erase it)");
        if (File.ReadAllText("/proc/self/mountinfo").Contains($" {device} ", StringComparison.Ordinal))
            throw new BadRequestException($"source: {device} is mounted; unmount it first");
    }

    public async Task CreatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        var root = Root(pool);
        await using var revert = new Reverter();
        switch (KindOf(pool))
        {
            case SourceKind.LoopFile:
                var size = PoolSize.Of(config.GetValueOrDefault(SizeKey), new DriveInfo(disksDirectory).AvailableFreeSpace);
                Directory.CreateDirectory(disksDirectory).UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                await using (var file = new FileStream(pool.Source, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }))
                    file.SetLength(size); // sparse: blocks are allocated as the pool fills
                revert.Add(() => File.Delete(pool.Source));
                await BtrfsSubvolumes.RunAsync(BtrfsCommands.Mkfs(pool.Source, Label(pool), force: false), cancellationToken);
                await MountAsync(pool, root, revert, cancellationToken);
                break;
            case SourceKind.BlockDevice:
                await BtrfsSubvolumes.RunAsync(BtrfsCommands.Mkfs(pool.Source, Label(pool), force: config.GetValueOrDefault(WipeKey) == "true"), cancellationToken);
                await MountAsync(pool, root, revert, cancellationToken);
                break;
            case SourceKind.Directory:
                if (!Directory.Exists(root))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(root)!);
                    await BtrfsSubvolumes.RunAsync(BtrfsCommands.CreateSubvolume(root), cancellationToken);
                    revert.Add(() => new BtrfsSubvolumes(root).DeleteAsync(root, CancellationToken.None));
                }
                else
                {
                    revert.Add(() => RemoveLayout(root));
                }
                break;
        }
        MakeLayout(root);
        revert.Success();
    }

    /// <summary>The pool's directories; made again at a mount, since a delete that failed half way may have removed them.</summary>
    private static void MakeLayout(string root)
    {
        // Traversable by others, not listable: containers' mapped root users reach their own volumes through these.
        File.SetUnixFileMode(root, PassThrough);
        foreach (var kind in KindDirectories.Values)
            Directory.CreateDirectory(Path.Combine(root, kind)).UnixFileMode = PassThrough;
        Directory.CreateDirectory(Path.Combine(root, "images")).UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _resizing = new();

    /// <summary>
    /// A loop-file pool grows: its file is made longer (sparse), its loop device told, and btrfs takes the new room, all
    /// while it is in use; one change at a time, and once begun, to its end (a file made short again under a filesystem
    /// that took the room would break it at the next mount). Asking for the size it has finishes a change a crash cut off.
    /// It does not shrink yet.
    /// </summary>
    public async Task UpdatePoolAsync(StoragePool pool, IReadOnlyDictionary<string, string> config, CancellationToken cancellationToken)
    {
        foreach (var key in config.Keys.Where(k => k is not SizeKey))
            throw new BadRequestException($"{key}: not a setting a btrfs pool can change (known: {SizeKey})");
        if (!config.TryGetValue(SizeKey, out var setting))
            return;
        if (KindOf(pool) != SourceKind.LoopFile)
            throw new BadRequestException($"{SizeKey}: only a loop-file pool has a size; a device or a directory gives what it has");
        var size = PoolSize.Of(setting, new DriveInfo(disksDirectory).AvailableFreeSpace);
        var gate = _resizing.GetOrAdd(pool.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var current = new FileInfo(pool.Source).Length;
            if (size < current)
                throw new NotSupportedYetException($"{SizeKey}: a btrfs pool does not shrink yet; \"{pool.Name}\" has {Sizes.Format(current)}");
            await using (var file = new FileStream(pool.Source, FileMode.Open, FileAccess.Write))
                file.SetLength(size);
            foreach (var device in await LoopDevicesAsync(pool.Source, CancellationToken.None))
                await BtrfsSubvolumes.RunAsync(BtrfsCommands.RefreshLoopSize(device), CancellationToken.None);
            await BtrfsSubvolumes.RunAsync(BtrfsCommands.GrowToDevice(Root(pool)), CancellationToken.None);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<string[]> LoopDevicesAsync(string file, CancellationToken cancellationToken) =>
        (await BtrfsSubvolumes.RunAsync(BtrfsCommands.LoopDevicesOf(file), cancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Label(StoragePool pool) => $"vessel-{pool.Name}";

    private static async Task MountAsync(StoragePool pool, string mountPoint, Reverter revert, CancellationToken cancellationToken)
    {
        var made = !Directory.Exists(mountPoint);
        Directory.CreateDirectory(mountPoint);
        if (made)
            revert.Add(() => Directory.Delete(mountPoint));
        await BtrfsSubvolumes.RunAsync(BtrfsCommands.Mount(pool.Source, mountPoint, loop: !pool.Source.StartsWith("/dev/", StringComparison.Ordinal)), cancellationToken);
        revert.Add(() => BtrfsSubvolumes.RunAsync(BtrfsCommands.Unmount(mountPoint), CancellationToken.None));
    }

    public async Task MountPoolAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var root = Root(pool);
        if (KindOf(pool) == SourceKind.Directory)
        {
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException($"the btrfs pool's directory {root} is gone");
            MakeLayout(root);
            return;
        }
        if (!MountTable.IsMountPoint(root))
        {
            if (!File.Exists(pool.Source) && !pool.Source.StartsWith("/dev/", StringComparison.Ordinal))
                throw new FileNotFoundException($"the btrfs pool's loop file {pool.Source} is gone");
            await using var revert = new Reverter();
            await MountAsync(pool, root, revert, cancellationToken);
            revert.Success();
        }
        MakeLayout(root);
    }

    public async Task DeletePoolAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var root = Root(pool);
        var kind = KindOf(pool);
        var mounted = kind == SourceKind.Directory ? Directory.Exists(root) : MountTable.IsMountPoint(root);
        if (mounted)
        {
            var left = ListVolumes(pool);
            if (left.Count > 0)
                throw new ConflictException($"storage pool \"{pool.Name}\" still holds volume(s) {string.Join(", ", left.Select(v => v.Name))}");
            var subvolumes = new BtrfsSubvolumes(root);
            var images = Path.Combine(root, "images");
            if (Directory.Exists(images))
            {
                foreach (var image in Directory.EnumerateDirectories(images))
                    await subvolumes.DeleteAsync(image, cancellationToken);
            }
            RemoveLayout(root);
        }
        switch (kind)
        {
            case SourceKind.Directory:
                if (Directory.Exists(root) && !Directory.EnumerateFileSystemEntries(root).Any())
                    Directory.Delete(root); // an empty subvolume goes with rmdir too
                return;
            case SourceKind.LoopFile or SourceKind.BlockDevice:
                if (mounted)
                    await BtrfsSubvolumes.RunAsync(BtrfsCommands.Unmount(root), cancellationToken);
                if (Directory.Exists(root))
                    Directory.Delete(root);
                if (kind == SourceKind.LoopFile)
                {
                    // The mount's loop device goes with it (autoclear); one a crash or an admin left is detached here.
                    if (File.Exists(pool.Source))
                    {
                        foreach (var device in await LoopDevicesAsync(pool.Source, cancellationToken))
                            await BtrfsSubvolumes.RunAsync(BtrfsCommands.DetachLoop(device), cancellationToken);
                    }
                    File.Delete(pool.Source);
                }
                return;
        }
    }

    private static void RemoveLayout(string root)
    {
        foreach (var directory in KindDirectories.Values.Append("images"))
        {
            var path = Path.Combine(root, directory);
            if (Directory.Exists(path))
                Directory.Delete(path);
        }
    }

    public async Task<PoolUsage> GetUsageAsync(StoragePool pool, CancellationToken cancellationToken)
    {
        var root = Root(pool);
        if (KindOf(pool) == SourceKind.Directory ? !Directory.Exists(root) : !MountTable.IsMountPoint(root))
            return new PoolUsage(0, 0); // not mounted: the daemon's start said why
        return BtrfsUsage.Parse(await BtrfsSubvolumes.RunAsync(BtrfsCommands.Usage(root), cancellationToken));
    }

    // Volumes

    public async Task<string> CreateVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken)
    {
        var path = VolumePath(pool, volume);
        if (Directory.Exists(path) || File.Exists(path))
            throw new ConflictException($"volume \"{volume.Name}\" already exists in storage pool \"{pool.Name}\"");
        await BtrfsSubvolumes.RunAsync(BtrfsCommands.CreateSubvolume(path), cancellationToken);
        File.SetUnixFileMode(path, PassThrough);
        // A VM's qcow2 disk is rewritten in place at random: copy-on-write under it fragments it and writes every block
        // twice, and its snapshots live inside the qcow2 file, not in btrfs. Files made here from now on skip it.
        if (volume.Kind == VolumeKind.VirtualMachine)
            await BtrfsSubvolumes.RunAsync(BtrfsCommands.NoCopyOnWrite(path), cancellationToken);
        return path;
    }

    public async Task DeleteVolumeAsync(StoragePool pool, VolumeRef volume, CancellationToken cancellationToken)
    {
        var path = VolumePath(pool, volume);
        if (!Directory.Exists(path))
            return;
        var mounted = MountTable.MountPointsUnder(path);
        if (mounted.Count > 0)
            throw new ConflictException($"volume \"{volume.Name}\" still has mounts under it: {string.Join(", ", mounted)}");
        await new BtrfsSubvolumes(Root(pool)).DeleteAsync(path, cancellationToken);
    }

    public string VolumePath(StoragePool pool, VolumeRef volume) => PoolLayout.VolumePath(Root(pool), volume);

    public IReadOnlyList<VolumeRef> ListVolumes(StoragePool pool) => PoolLayout.ListVolumes(Root(pool));

    public ISubvolumes? Subvolumes(StoragePool pool) => new BtrfsSubvolumes(Root(pool));
}
