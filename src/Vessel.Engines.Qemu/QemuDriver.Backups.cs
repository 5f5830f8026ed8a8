using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qmp;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>
/// A VM's backup is its qcow2 overlay with its internal snapshots; the image it is backed by travels beside it. An
/// incremental backup holds only the clusters written since the last export was delivered: the disk keeps a persistent
/// dirty bitmap (<see cref="ExportBitmap"/>) that QEMU updates while the VM runs, and qemu-storage-daemon copies what it
/// marks (a blockdev-backup job with sync=bitmap) into a qcow2 of its own. Each export also starts a pending record
/// (<see cref="PendingBitmap"/>) as it reads the disk, which becomes the record once the file is delivered: what the VM
/// writes while the file is on its way is in the next increment, whether it runs or not meanwhile.
/// </summary>
public sealed partial class QemuDriver
{
    private const string ExportBitmap = "vessel-export", PendingBitmap = "vessel-export-pending", Increment = "increment.qcow2",
        BeforeIncrement = "vessel-before-increment";
    private static readonly TimeSpan BackupJobTimeout = TimeSpan.FromMinutes(30);

    public async Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, bool incremental, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        if (RunningState(PathsOf(context)) is not null)
            throw new ConflictException($"virtual machine {context.Instance.Name} is running; stop it to export it (its disk would change while it is read)");
        if (File.Exists(IncrementMarker(context)))
            throw new ConflictException($"virtual machine {context.Instance.Name} holds an increment cut off midway; apply it again first");
        Directory.CreateDirectory(context.RootVolumePath);
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (incremental && !File.Exists(disk))
            throw new NotSupportedYetException($"virtual machine {context.Instance.Name} has no disk of its own (its image boots a kernel only): nothing to export incrementally");
        var info = File.Exists(disk) ? await DiskInfoAsync(disk, cancellationToken) : null;
        if (info is not null)
        {
            if (info.Bitmaps.ContainsKey(PendingBitmap)) // left by an export that a crash cut off
                await QemuImgAsync(["bitmap", "--remove", disk, PendingBitmap], cancellationToken);
            await QemuImgAsync(["bitmap", "--add", disk, PendingBitmap], cancellationToken);
        }
        if (!incremental)
        {
            if (!withSnapshots && info is { Snapshots.Count: > 0 })
                await WriteWithoutSnapshotsAsync(context, info, archive, cancellationToken);
            else
                await VolumeArchive.WriteAsync(context.RootVolumePath, archive, [], cancellationToken, HasLargeHoles(context.RootVolumePath));
            return;
        }
        switch (info!.Bitmaps.GetValueOrDefault(ExportBitmap))
        {
            case null:
                throw new ConflictException($"virtual machine {context.Instance.Name} has no record of changes since an export; export it whole first");
            case "in-use":
                throw new ConflictException($"virtual machine {context.Instance.Name}'s record of changes was lost: its QEMU ended without closing the disk (killed, or the host went down); export it whole first");
        }
        var staging = Path.Combine(Path.GetDirectoryName(archive)!, "increment");
        Directory.CreateDirectory(staging);
        var target = Path.Combine(staging, Increment);
        await QemuImgAsync(["create", "-q", "-f", "qcow2", target, info.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
        await CopyChangedClustersAsync(disk, target, cancellationToken);
        await VolumeArchive.WriteAsync(staging, archive, [], cancellationToken, keepHoles: false); // qemu-img wrote it compact
    }

    /// <summary>
    /// Whether the VM's disk files have holes worth keeping in a backup (over 64 MiB in all: a guest freed that much and
    /// QEMU gave it back to the host). Then the archive keeps them, and its import needs no more room than the disks took
    /// here, at the price of GNU tar's slow extraction of sparse files; else the disks go whole, and the import finds the
    /// holes again.
    /// </summary>
    private static bool HasLargeHoles(string rootVolumePath) =>
        Directory.EnumerateFiles(rootVolumePath).Sum(file => Math.Max(0, new FileInfo(file).Length - DiskUsage.OfFile(file))) > 64L << 20;

    /// <summary>
    /// The volume as an archive whose disk holds no internal snapshots, for an export without them: their clusters and
    /// saved memory can be far larger than what the disk itself holds. qemu-img convert onto the same backing file writes
    /// only the disk's own clusters (5 MiB of a Debian VM's 163 MiB disk with one stateful snapshot).
    /// </summary>
    private async Task WriteWithoutSnapshotsAsync(InstanceContext context, DiskInfo info, string archive, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        var staging = Path.Combine(Path.GetDirectoryName(archive)!, "disk");
        Directory.CreateDirectory(staging);
        var copy = Path.Combine(staging, Path.GetFileName(disk));
        string[] onto = info.Backing is { } backing ? ["-B", backing.Path, "-F", backing.Format] : [];
        await QemuImgAsync(["convert", "-q", "-f", "qcow2", "-O", "qcow2", .. onto, disk, copy], cancellationToken);
        if (info.Backing is not null) // named as the disk names it: a base by its name beside it
            await QemuImgAsync(["rebase", "-u", "-f", "qcow2", "-b", info.Backing.Name, "-F", info.Backing.Format, copy], cancellationToken);
        await VolumeArchive.WriteAsync(context.RootVolumePath, archive, [Path.GetFileName(disk)], cancellationToken, HasLargeHoles(context.RootVolumePath));
        await VolumeArchive.AppendWholeAsync(archive, staging, Path.GetFileName(disk), cancellationToken);
    }

    public async Task ExportEndedAsync(InstanceContext context, bool delivered, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            return;
        if (RunningState(PathsOf(context)) is not null)
        {
            await ExportEndedInQemuAsync(context, delivered, cancellationToken);
            return;
        }
        var bitmaps = (await DiskInfoAsync(disk, cancellationToken)).Bitmaps;
        if (!bitmaps.TryGetValue(PendingBitmap, out var pending))
            return; // a snapshot restore took it: there is no record to keep
        if (delivered && pending == "ok")
        {
            if (bitmaps.ContainsKey(ExportBitmap))
                await QemuImgAsync(["bitmap", "--remove", disk, ExportBitmap], cancellationToken);
            await QemuImgAsync(["bitmap", "--add", "--merge", PendingBitmap, disk, ExportBitmap], cancellationToken);
        }
        await QemuImgAsync(["bitmap", "--remove", disk, PendingBitmap], cancellationToken);
    }

    /// <summary>The same in the running QEMU, as one transaction: the record is never missing or empty in between.</summary>
    private async Task ExportEndedInQemuAsync(InstanceContext context, bool delivered, CancellationToken cancellationToken)
    {
        var vm = await MonitorOfAsync(context, cancellationToken);
        var (node, bitmaps, _, _) = await RootNodeAsync(vm, cancellationToken);
        if (!bitmaps.TryGetValue(PendingBitmap, out var pendingInconsistent))
            return;
        JsonNode Action(string type, JsonObject data) => new JsonObject { ["type"] = type, ["data"] = data };
        var actions = new List<JsonNode>();
        // An inconsistent bitmap (its QEMU ended without closing the disk) can be neither cleared nor merged from.
        if (delivered && !pendingInconsistent)
        {
            if (bitmaps.GetValueOrDefault(ExportBitmap))
            {
                await vm.Monitor.ExecuteAsync("block-dirty-bitmap-remove", new JsonObject { ["node"] = node, ["name"] = ExportBitmap },
                    cancellationToken: cancellationToken);
                bitmaps.Remove(ExportBitmap);
            }
            actions.Add(bitmaps.ContainsKey(ExportBitmap)
                ? Action("block-dirty-bitmap-clear", new JsonObject { ["node"] = node, ["name"] = ExportBitmap })
                : Action("block-dirty-bitmap-add", new JsonObject { ["node"] = node, ["name"] = ExportBitmap, ["persistent"] = true }));
            actions.Add(Action("block-dirty-bitmap-merge", new JsonObject { ["node"] = node, ["target"] = ExportBitmap, ["bitmaps"] = new JsonArray(PendingBitmap) }));
        }
        actions.Add(Action("block-dirty-bitmap-remove", new JsonObject { ["node"] = node, ["name"] = PendingBitmap }));
        await vm.Monitor.ExecuteAsync("transaction", new JsonObject { ["actions"] = new JsonArray([.. actions]) }, cancellationToken: cancellationToken);
    }

    /// <summary>Starts a new record of changes on a stopped VM's disk: the next incremental export holds what is written from now on.</summary>
    public async Task RecordChangesFromNowAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        await RecordChangesFromNowOnAsync(context, cancellationToken);
    }

    private async Task RecordChangesFromNowOnAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            return;
        if ((await DiskInfoAsync(disk, cancellationToken)).Bitmaps.ContainsKey(ExportBitmap))
            await QemuImgAsync(["bitmap", "--remove", disk, ExportBitmap], cancellationToken);
        await QemuImgAsync(["bitmap", "--add", disk, ExportBitmap], cancellationToken);
    }

    /// <summary>
    /// Writes an increment's clusters into the stopped VM's disk (qemu-img commit through a backing link onto it), grown
    /// first to the increment's size when the source's disk grew. An internal snapshot taken first is where a resize or a
    /// commit that fails midway (a full pool) goes back to, with the disk's old size: all or nothing.
    /// </summary>
    public async Task ApplyIncrementAsync(InstanceContext context, string archive, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        if (RunningState(PathsOf(context)) is not null)
            throw new ConflictException($"virtual machine {context.Instance.Name} is running; stop it to apply an incremental backup to it");
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            throw new BadRequestException($"virtual machine {context.Instance.Name} has no disk to apply an incremental backup to");
        if (File.Exists(IncrementMarker(context)))
            await GoBackBeforeIncrementAsync(context, disk); // one that a crash or a failed revert cut off
        var staging = Path.Combine(Path.GetDirectoryName(archive)!, "increment");
        Directory.CreateDirectory(staging);
        await VolumeArchive.ExtractAsync(archive, staging, cancellationToken);
        var increment = Path.Combine(staging, Increment);
        if (!File.Exists(increment) || Directory.EnumerateFileSystemEntries(staging).Count() != 1)
            throw new BadRequestException($"the incremental backup's volume holds something other than {Increment}");
        CheckBackupDisk(increment, backingAllowed: false);
        await Vessel.Storage.ImageFormat.CheckQcow2TablesAsync(increment, $"the backup's {Increment}", cancellationToken);
        var size = (await DiskInfoAsync(increment, cancellationToken)).Size;
        var current = (await DiskInfoAsync(disk, cancellationToken)).Size;
        if (size < current)
            throw new BadRequestException($"the increment's disk ({size} bytes) is smaller than {context.Instance.Name}'s ({current} bytes); " +
                "a disk never shrinks, so the increment does not follow this disk's export");
        await QemuImgAsync(["rebase", "-f", "qcow2", "-u", "-b", disk, "-F", "qcow2", increment], cancellationToken);
        await DeleteSnapshotUnlockedAsync(context, BeforeIncrement, cancellationToken); // left by a crash before the marker
        await QemuImgAsync(["snapshot", "-c", BeforeIncrement, disk], cancellationToken);
        // From here until the disk is whole again (applied, or back at the export) the marker keeps the VM from starting.
        await File.WriteAllBytesAsync(IncrementMarker(context), [], cancellationToken);
        try
        {
            // The source's disk grew since the export: this one grows with it (the snapshot keeps the old size to go back to).
            if (size > current)
                await QemuImgAsync(["resize", "-q", "-f", "qcow2", disk, size.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
            await QemuImgAsync(["commit", "-q", "-f", "qcow2", "-d", increment], cancellationToken, BackupJobTimeout);
        }
        catch (Exception cut)
        {
            try
            {
                await GoBackBeforeIncrementAsync(context, disk);
            }
            catch (Exception e)
            {
                throw new VesselException(500, $"applying the increment to {context.Instance.Name} failed ({cut.Message}), and so did going back " +
                    $"to the export it follows ({e.Message}); the disk keeps snapshot {BeforeIncrement}, and applying the increment again goes back first");
            }
            throw;
        }
        await DeleteSnapshotUnlockedAsync(context, BeforeIncrement, CancellationToken.None);
        File.Delete(IncrementMarker(context));
    }

    /// <summary>Marks a disk that an increment is being written into: it starts only once that has ended, one way or the other.</summary>
    private static string IncrementMarker(InstanceContext context) => Path.Combine(context.RootVolumePath, ".increment-applying");

    /// <summary>
    /// Puts the disk back as it was before the increment (QEMU applies no internal snapshot under a bitmap): at the export
    /// the increment follows, where a new record of changes starts.
    /// </summary>
    private async Task GoBackBeforeIncrementAsync(InstanceContext context, string disk)
    {
        foreach (var bitmap in (await DiskInfoAsync(disk, CancellationToken.None)).Bitmaps.Keys)
            await QemuImgAsync(["bitmap", "--remove", disk, bitmap], CancellationToken.None);
        await QemuImgAsync(["snapshot", "-a", BeforeIncrement, disk], CancellationToken.None);
        await RecordChangesFromNowOnAsync(context, CancellationToken.None);
        await DeleteSnapshotUnlockedAsync(context, BeforeIncrement, CancellationToken.None);
        File.Delete(IncrementMarker(context));
    }

    public async Task ImportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(context.RootVolumePath);
        await VolumeArchive.ExtractAsync(archive, context.RootVolumePath, cancellationToken);
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            return; // a kernel-only VM keeps nothing of its own
        var chain = CheckedChain(context.RootVolumePath);
        foreach (var file in chain)
        {
            await Vessel.Storage.ImageFormat.CheckQcow2TablesAsync(file, $"the backup's {Path.GetFileName(file)}", cancellationToken);
            await VolumeArchive.PunchZeroesAsync(file, cancellationToken); // the archive holds the disks' holes as zeros
        }
        // The last disk of the chain names its backing file by the path it had where it was exported: point it at this host's copy.
        var (backing, format) = await VmImages.BackingDiskAsync(context.ImagePath!, cancellationToken)
            ?? throw new BadRequestException("the backup's disk needs an image with a disk, and its image has none");
        await QemuImgAsync(["rebase", "-f", "qcow2", "-u", "-b", backing, "-F", format, chain[^1]], cancellationToken);
        if (!withSnapshots)
            await DropInternalSnapshotsAsync(disk, cancellationToken);
    }

    /// <summary>
    /// The backup's root disk and the bases it reads (see <see cref="VmImages.IsBase"/>), top first, each checked: a regular
    /// file beside it (nothing a link could point elsewhere), a qcow2 keeping its data in itself.
    /// </summary>
    private static List<string> CheckedChain(string directory)
    {
        List<string> chain;
        try
        {
            chain = VmImages.Chain(directory);
        }
        catch (BadRequestException e)
        {
            throw new BadRequestException($"the backup's disk: {e.Message}");
        }
        foreach (var disk in chain)
            CheckBackupDisk(disk, backingAllowed: true);
        return chain;
    }

    /// <summary>A disk from a backup file is the user's input: it must be qcow2 and keep its data in itself, not in a host file it names.</summary>
    private static void CheckBackupDisk(string disk, bool backingAllowed)
    {
        if (!Ownership.IsRegularFile(disk))
            throw new BadRequestException($"the backup's {Path.GetFileName(disk)} is not a regular file");
        Vessel.Storage.ImageFormat.CheckStandaloneQcow2(Vessel.Storage.ImageFormat.HeadOf(disk), $"the backup's {Path.GetFileName(disk)}", backingAllowed);
    }

    /// <summary>
    /// What qemu-img info says of a stopped VM's disk: its virtual size, its dirty bitmaps with their states ("in-use" when
    /// QEMU did not close the disk, else "ok"), its internal snapshots and its backing file, if any.
    /// </summary>
    private sealed record DiskInfo(long Size, Dictionary<string, string> Bitmaps, List<string> Snapshots, BackingFile? Backing);

    /// <param name="Name">As the disk names it (a base beside it by a relative name).</param>
    /// <param name="Path">Where it is.</param>
    private sealed record BackingFile(string Name, string Path, string Format);

    private async Task<DiskInfo> DiskInfoAsync(string disk, CancellationToken cancellationToken)
    {
        var (code, output) = await RunAsync(qemuImgBinary, ["info", "-f", "qcow2", "--output=json", disk], cancellationToken);
        if (code != 0)
            throw new VesselException(500, $"qemu-img info {disk}: {output.Trim()}");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        var bitmaps = new Dictionary<string, string>();
        if (root.TryGetProperty("format-specific", out var specific) && specific.TryGetProperty("data", out var data) &&
            data.TryGetProperty("bitmaps", out var entries))
        {
            foreach (var entry in entries.EnumerateArray())
                bitmaps[entry.GetProperty("name").GetString()!] = entry.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "in-use") ? "in-use" : "ok";
        }
        var snapshots = root.TryGetProperty("snapshots", out var list) ? list.EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList() : [];
        var backing = root.TryGetProperty("backing-filename", out var name)
            ? new BackingFile(name.GetString()!, root.GetProperty("full-backing-filename").GetString()!, root.GetProperty("backing-filename-format").GetString()!)
            : null;
        return new DiskInfo(root.GetProperty("virtual-size").GetInt64(), bitmaps, snapshots, backing);
    }

    /// <summary>
    /// Opens the disk and the target in qemu-storage-daemon and copies the clusters the export bitmap marks (leaving the
    /// bitmap as it is: it is started anew only once the export has reached its reader).
    /// </summary>
    private static async Task CopyChangedClustersAsync(string disk, string target, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(target)!;
        var socket = Path.Combine(directory, "qsd.sock");
        var pidFile = Path.Combine(directory, "qsd.pid");
        var (code, output) = await RunAsync(HostCommand.Resolve("qemu-storage-daemon"),
        [
            "--blockdev", $"driver=file,node-name=disk-file,filename={QemuCommandLine.Escape(disk)}",
            "--blockdev", "driver=qcow2,node-name=disk,file=disk-file",
            "--blockdev", $"driver=file,node-name=target-file,filename={QemuCommandLine.Escape(target)}",
            "--blockdev", "driver=qcow2,node-name=target,file=target-file",
            "--chardev", $"socket,id=qmp,path={QemuCommandLine.Escape(socket)},server=on,wait=off",
            "--monitor", "chardev=qmp",
            "--daemonize", "--pidfile", pidFile,
        ], cancellationToken);
        if (code != 0)
            throw new VesselException(500, $"qemu-storage-daemon did not start: {output.Trim()}");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await using var monitor = await QmpClient.ConnectAsync(socket, QmpClient.DefaultTimeout, cancellationToken);
            await monitor.ExecuteAsync("blockdev-backup", new JsonObject
            {
                ["job-id"] = "export", ["device"] = "disk", ["target"] = "target", ["sync"] = "bitmap", ["bitmap"] = ExportBitmap,
                ["bitmap-mode"] = "never", ["auto-dismiss"] = false,
            }, cancellationToken: cancellationToken);
            await WaitForJobAsync(monitor, "export", "the incremental export", BackupJobTimeout, cancellationToken);
        }
        finally
        {
            // SIGTERM: it closes the disk cleanly, the bitmap stored as it was.
            Processes.TryKill(pid, 15);
            for (var i = 0; i < 500 && Directory.Exists($"/proc/{pid}"); i++)
                await Task.Delay(10, CancellationToken.None);
            Processes.TryKill(pid, 9); // still there after 5 s: it would hold the disk's lock against the VM's next start
        }
    }

    /// <summary>
    /// Waits for a job started with auto-dismiss off to conclude, dismisses it, and throws with its error if it failed. It
    /// looks every 50 ms.
    /// </summary>
    private static async Task WaitForJobAsync(QmpClient monitor, string job, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var state = (await monitor.ExecuteAsync("query-jobs", cancellationToken: cancellationToken)).EnumerateArray()
                .FirstOrDefault(j => j.GetProperty("id").GetString() == job);
            if (state.ValueKind == JsonValueKind.Object && state.GetProperty("status").GetString() == "concluded")
            {
                await monitor.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = job }, cancellationToken: cancellationToken);
                if (state.TryGetProperty("error", out var error))
                    throw new VesselException(500, $"{what} failed: {error.GetString()}");
                return;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what} did not end within {timeout.TotalMinutes:0} minutes");
            await Task.Delay(50, cancellationToken);
        }
    }
}
