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
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        CheckSnapshot(context, stateful);
        var disk = RootDiskOf(context);
        if (RunningState(PathsOf(context)) is null)
        {
            await DeleteSnapshotUnlockedAsync(context, snapshot, cancellationToken); // an orphan of a crash; the store has reserved the name
            await QemuImgAsync(["snapshot", "-c", snapshot, disk], cancellationToken);
            return;
        }
        await DeleteSnapshotUnlockedAsync(context, snapshot, cancellationToken);
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
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        var disk = RootDiskOf(context);
        // Going back rewrites the disk behind the export bitmaps' back (and QEMU refuses to while one is active): they go,
        // and the next incremental export needs a whole one first.
        if (RunningState(PathsOf(context)) is null)
        {
            foreach (var bitmap in (await DiskInfoAsync(disk, cancellationToken)).Bitmaps.Keys.Intersect([ExportBitmap, PendingBitmap]))
                await QemuImgAsync(["bitmap", "--remove", disk, bitmap], cancellationToken);
            await QemuImgAsync(["snapshot", "-a", snapshot, disk], cancellationToken);
        }
        else
        {
            // Loading a snapshot into the running QEMU puts back memory, devices and disk: the guest goes on from that moment.
            var vm = await MonitorOfAsync(context, cancellationToken);
            var node = await RootNodeAsync(vm, cancellationToken);
            foreach (var bitmap in (await BitmapsInQemuAsync(vm, node, cancellationToken)).Keys.Intersect([ExportBitmap, PendingBitmap]))
                await vm.Monitor.ExecuteAsync("block-dirty-bitmap-remove", new JsonObject { ["node"] = node, ["name"] = bitmap }, cancellationToken: cancellationToken);
            await RunSnapshotJobAsync(vm, "snapshot-load", snapshot, cancellationToken);
            if (await QueryStatusAsync(vm.Monitor, cancellationToken) == "paused")
                await vm.Monitor.ExecuteAsync("cont", cancellationToken: cancellationToken);
        }
        // The disk is back at the size it had when the snapshot was taken. A snapshot keeps no config, as a copy of one does
        // not: devices.root.size holds, and the disk grows back to it (growing loses nothing).
        await GrowRootAsync(context, refuseShrink: false, cancellationToken);
    }

    /// <summary>Deletes the snapshot from the disk; one that is not there (a crash came between disk and store) is no error.</summary>
    public async Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        await DeleteSnapshotUnlockedAsync(context, snapshot, cancellationToken);
    }

    private async Task DeleteSnapshotUnlockedAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
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


    /// <summary>Runs snapshot-save or snapshot-load on the root disk's node as a job and waits for it to end.</summary>
    private static async Task RunSnapshotJobAsync(Vm vm, string command, string snapshot, CancellationToken cancellationToken)
    {
        var node = await RootNodeAsync(vm, cancellationToken);
        var job = $"{command}-{Guid.NewGuid():N}";
        await vm.Monitor.ExecuteAsync(command, new JsonObject
        {
            ["job-id"] = job, ["tag"] = snapshot, ["vmstate"] = node, ["devices"] = new JsonArray(node),
        }, cancellationToken: cancellationToken);
        await WaitForJobAsync(vm.Monitor, job, $"{command} of \"{snapshot}\"", SnapshotJobTimeout, cancellationToken, vm.JobEvents);
    }

    /// <summary>The block node behind the root drive, which snapshot-save and -load name.</summary>
    private static async Task<string> RootNodeAsync(Vm vm, CancellationToken cancellationToken) =>
        (await RootBlockAsync(vm, cancellationToken)).GetProperty("node-name").GetString()!;

    /// <summary>What query-block says is inserted in the root drive.</summary>
    private static async Task<JsonElement> RootBlockAsync(Vm vm, CancellationToken cancellationToken)
    {
        foreach (var device in (await vm.Monitor.ExecuteAsync("query-block", cancellationToken: cancellationToken)).EnumerateArray())
        {
            if (device.GetProperty("device").GetString() == QemuCommandLine.RootDrive && device.TryGetProperty("inserted", out var inserted))
                return inserted;
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
