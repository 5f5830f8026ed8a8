using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qmp;

namespace Vessel.Engines.Qemu;

/// <summary>
/// VM snapshots live inside the instance's qcow2 root disk as internal snapshots: QMP takes them from a running VM
/// (blockdev-snapshot-internal-sync; with memory and device state, the snapshot-save job, which writes the VM's state
/// into the same disk), qemu-img from a stopped one. A VM without a disk (a kernel image) has nowhere to keep them.
/// </summary>
public sealed partial class QemuDriver
{
    private static readonly TimeSpan SnapshotJobTimeout = TimeSpan.FromMinutes(10);

    private static string RootDiskOf(InstanceContext context)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        return File.Exists(disk)
            ? disk
            : throw new NotSupportedYetException($"virtual machine {context.Instance.Name} has no disk to keep snapshots in (its image is a kernel only)");
    }

    public void CheckSnapshot(InstanceContext context, bool stateful)
    {
        RootDiskOf(context);
        if (stateful && RunningState(PathsOf(context)) is null)
            throw new ConflictException($"virtual machine {context.Instance.Name} is stopped: a stateful snapshot needs it running");
    }

    public async Task CreateSnapshotAsync(InstanceContext context, string snapshot, bool stateful, CancellationToken cancellationToken)
    {
        CheckSnapshot(context, stateful);
        var disk = RootDiskOf(context);
        if (RunningState(PathsOf(context)) is null)
        {
            await DeleteSnapshotAsync(context, snapshot, cancellationToken); // an orphan of a crash; the store has reserved the name
            await QemuImgAsync(["snapshot", "-c", snapshot, disk], cancellationToken);
            return;
        }
        await DeleteSnapshotAsync(context, snapshot, cancellationToken);
        var vm = await MonitorOfAsync(context, cancellationToken);
        if (!stateful)
        {
            await vm.Monitor.ExecuteAsync("blockdev-snapshot-internal-sync", new JsonObject { ["device"] = QemuCommandLine.RootDrive, ["name"] = snapshot },
                cancellationToken: cancellationToken);
            return;
        }
        await RunSnapshotJobAsync(vm, "snapshot-save", snapshot, cancellationToken);
    }

    public async Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        var disk = RootDiskOf(context);
        // Going back rewrites the disk behind the export bitmap's back (and QEMU refuses to while one is active): it goes,
        // and the next incremental export needs a whole one first.
        if (RunningState(PathsOf(context)) is null)
        {
            if ((await DiskInfoAsync(disk, cancellationToken)).Bitmap is not null)
                await QemuImgAsync(["bitmap", "--remove", disk, ExportBitmap], cancellationToken);
            await QemuImgAsync(["snapshot", "-a", snapshot, disk], cancellationToken);
            return;
        }
        // Loading a snapshot into the running QEMU puts back memory, devices and disk: the guest goes on from that moment.
        var vm = await MonitorOfAsync(context, cancellationToken);
        var node = await RootNodeAsync(vm, cancellationToken);
        var bitmaps = await vm.Monitor.ExecuteAsync("query-named-block-nodes", new JsonObject { ["flat"] = true }, cancellationToken: cancellationToken);
        if (bitmaps.EnumerateArray().Any(n => n.GetProperty("node-name").GetString() == node && n.TryGetProperty("dirty-bitmaps", out var list) &&
                                              list.EnumerateArray().Any(b => b.GetProperty("name").GetString() == ExportBitmap)))
            await vm.Monitor.ExecuteAsync("block-dirty-bitmap-remove", new JsonObject { ["node"] = node, ["name"] = ExportBitmap }, cancellationToken: cancellationToken);
        await RunSnapshotJobAsync(vm, "snapshot-load", snapshot, cancellationToken);
        if (await QueryStatusAsync(vm.Monitor, cancellationToken) == "paused")
            await vm.Monitor.ExecuteAsync("cont", cancellationToken: cancellationToken);
    }

    /// <summary>Deletes the snapshot from the disk; one that is not there (a crash came between disk and store) is no error.</summary>
    public async Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            return;
        if (RunningState(PathsOf(context)) is null)
        {
            var (code, output) = await RunAsync(qemuImgBinary, ["snapshot", "-d", snapshot, disk], cancellationToken);
            if (code != 0 && !output.Contains("not found", StringComparison.OrdinalIgnoreCase))
                throw new VesselException(500, $"qemu-img snapshot -d {snapshot}: {output.Trim()}");
            return;
        }
        var vm = await MonitorOfAsync(context, cancellationToken);
        try
        {
            await vm.Monitor.ExecuteAsync("blockdev-snapshot-delete-internal-sync", new JsonObject { ["device"] = QemuCommandLine.RootDrive, ["name"] = snapshot },
                cancellationToken: cancellationToken);
        }
        catch (QmpException e) when (e.Description.Contains("does not exist", StringComparison.OrdinalIgnoreCase))
        {
        }
    }

    /// <summary>
    /// A VM's copy is a copy of its qcow2 disk, an overlay over the image that holds only what the VM wrote
    /// (cp --reflink=auto shares even that where the filesystem can); the source's snapshots stay behind.
    /// </summary>
    public async Task CopyAsync(InstanceContext context, InstanceContext source, string? snapshot, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(source.RootVolumePath);
        if (!File.Exists(disk))
        {
            await CreateAsync(context, cancellationToken); // a kernel-only VM has nothing of its own to copy
            return;
        }
        if (snapshot is not null)
        {
            await CopySnapshotAsync(context, disk, snapshot, cancellationToken);
            return;
        }
        if (RunningState(PathsOf(source)) is not null)
            throw new ConflictException($"virtual machine {source.Instance.Name} is running; stop it to copy it");
        Directory.CreateDirectory(context.RootVolumePath);
        var copy = VmImages.RootDiskPath(context.RootVolumePath);
        var (code, output) = await RunAsync(Cp, ["--reflink=auto", "--sparse=always", "--", disk, copy], cancellationToken);
        if (code != 0)
            throw new VesselException(500, $"copying the disk of {source.Instance.Name} failed: {output.Trim()}");
        await DropInternalSnapshotsAsync(copy, cancellationToken);
    }

    /// <summary>
    /// The disk as the snapshot holds it, written as a new overlay over the image (only what differs from it). A snapshot's
    /// clusters never change, so the source may be running (-U: read without its lock).
    /// </summary>
    private async Task CopySnapshotAsync(InstanceContext context, string disk, string snapshot, CancellationToken cancellationToken)
    {
        var (backing, format) = await VmImages.BackingDiskAsync(context.ImagePath!, cancellationToken)
            ?? throw new BadRequestException("the virtual machine's image has no disk to back the copy");
        Directory.CreateDirectory(context.RootVolumePath);
        await QemuImgAsync(["convert", "-U", "-f", "qcow2", "-O", "qcow2", "-l", $"snapshot.name={snapshot}", "-B", backing, "-F", format,
            disk, VmImages.RootDiskPath(context.RootVolumePath)], cancellationToken, TimeSpan.FromMinutes(30));
    }

    /// <summary>Deletes every internal snapshot of a qcow2 file (a copy's or an import's that the store does not know).</summary>
    private async Task DropInternalSnapshotsAsync(string disk, CancellationToken cancellationToken)
    {
        var (_, info) = await RunAsync(qemuImgBinary, ["info", "-U", "--output=json", disk], cancellationToken);
        using var json = JsonDocument.Parse(info);
        if (json.RootElement.TryGetProperty("snapshots", out var snapshots))
        {
            foreach (var name in snapshots.EnumerateArray().Select(s => s.GetProperty("name").GetString()!))
                await QemuImgAsync(["snapshot", "-d", name, disk], cancellationToken);
        }
    }

    private static readonly string Cp = Vessel.Linux.HostCommand.Resolve("cp");

    /// <summary>Runs snapshot-save or snapshot-load on the root disk's node as a job and waits for it to end.</summary>
    private static async Task RunSnapshotJobAsync(Vm vm, string command, string snapshot, CancellationToken cancellationToken)
    {
        var node = await RootNodeAsync(vm, cancellationToken);
        var job = $"{command}-{Guid.NewGuid():N}";
        await vm.Monitor.ExecuteAsync(command, new JsonObject
        {
            ["job-id"] = job, ["tag"] = snapshot, ["vmstate"] = node, ["devices"] = new JsonArray(node),
        }, cancellationToken: cancellationToken);
        await WaitForJobAsync(vm.Monitor, job, $"{command} of \"{snapshot}\"", SnapshotJobTimeout, cancellationToken);
    }

    /// <summary>The block node behind the root drive, which snapshot-save and -load name.</summary>
    private static async Task<string> RootNodeAsync(Vm vm, CancellationToken cancellationToken)
    {
        foreach (var device in (await vm.Monitor.ExecuteAsync("query-block", cancellationToken: cancellationToken)).EnumerateArray())
        {
            if (device.GetProperty("device").GetString() == QemuCommandLine.RootDrive && device.TryGetProperty("inserted", out var inserted))
                return inserted.GetProperty("node-name").GetString()!;
        }
        throw new QmpException("query-block", "DeviceNotFound", "QEMU has no root drive");
    }

    private async Task QemuImgAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var (code, output) = await RunAsync(qemuImgBinary, arguments, cancellationToken, timeout);
        if (code != 0)
            throw new VesselException(output.Contains("not found", StringComparison.OrdinalIgnoreCase) ? 404 : 500,
                $"qemu-img {string.Join(' ', arguments.Take(3))}: {output.Trim()}");
    }
}
