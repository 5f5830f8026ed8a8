using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Core.Drivers;
using Vessel.Engines.Qemu.Qmp;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Copies of a running VM, of its disk as it is at one moment, taken with the guest's filesystems frozen when its agent
/// answers (else as a crash would leave it). A linked copy in the same pool freezes the disk into a base while the VM
/// runs: QEMU moves onto a new overlay (blockdev-snapshot) and the copy goes on from the same base, in O(1). A full copy, a
/// copy to another pool, and one of a VM whose disk holds snapshots (they would be left in the base) copy what a
/// temporary internal snapshot holds instead, as copies of snapshots do, and drop it.
/// </summary>
public sealed partial class QemuDriver
{
    /// <summary>
    /// Names the temporary snapshot of a running VM's copy. No snapshot a user makes has a dot in its name (names are DNS
    /// labels), so one that a crash left behind is known for what it is.
    /// </summary>
    private const string CutPrefix = "vessel.copy-";

    private async Task CopyRunningAsync(InstanceContext context, InstanceContext source, bool full, CancellationToken cancellationToken)
    {
        var vm = await MonitorOfAsync(source, cancellationToken);
        var root = await RootBlockAsync(vm, cancellationToken);
        var image = root.GetProperty("image");
        if (!full && context.Instance.Pool == source.Instance.Pool && !(image.TryGetProperty("snapshots", out var snapshots) && snapshots.GetArrayLength() > 0) &&
            VmImages.Chain(source.RootVolumePath).Count <= MaxBases)
        {
            var size = image.GetProperty("virtual-size").GetInt64();
            await OverlayAsync(context, source.RootVolumePath, await FreezeRunningAsync(source, vm, root, size, cancellationToken), "qcow2", size,
                cancellationToken);
            return;
        }
        var cut = $"{CutPrefix}{Guid.NewGuid():N}";
        await WithGuestFrozenAsync(source, () => vm.Monitor.ExecuteAsync("blockdev-snapshot-internal-sync",
            new JsonObject { ["device"] = QemuCommandLine.RootDrive, ["name"] = cut }, cancellationToken: cancellationToken), cancellationToken);
        try
        {
            await CopySnapshotAsync(context, source, cut, full, cancellationToken);
        }
        finally
        {
            await DeleteSnapshotUnlockedAsync(source, cut, CancellationToken.None);
        }
    }

    /// <summary>
    /// Makes a running VM's disk a base. The new overlay is renamed in as its disk first: a crash from then on leaves an
    /// overlay that reads everything from the base QEMU still writes, which is whole. Then QEMU opens it and moves onto it in
    /// one transaction with the records of changes (an inconsistent one is dropped: it could not be merged), the guest's
    /// filesystems frozen around it. Until QEMU has moved, going back is renaming the base over the disk. Gives the base's name.
    /// </summary>
    private async Task<string> FreezeRunningAsync(InstanceContext source, Vm vm, JsonElement root, long size, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(source.RootVolumePath);
        var (name, frozen, successor) = PrepareFreeze(source.RootVolumePath);
        Ownership.HardLink(disk, frozen);
        try
        {
            // -u: the base is QEMU's open disk; the overlay's size is given, so it is not opened.
            await QemuImgAsync(["create", "-q", "-f", "qcow2", "-u", "-b", name, "-F", "qcow2", successor, size.ToString(CultureInfo.InvariantCulture)],
                cancellationToken);
            File.Move(successor, disk, overwrite: true);
        }
        catch
        {
            File.Delete(successor);
            File.Delete(frozen);
            throw;
        }
        var old = root.GetProperty("node-name").GetString()!;
        var node = $"root-{Guid.NewGuid():N}"[..24]; // QEMU takes node names of up to 31 characters
        var added = false;
        try
        {
            await vm.Monitor.ExecuteAsync("blockdev-add", new JsonObject
            {
                ["driver"] = "qcow2", ["node-name"] = node, ["discard"] = "unmap", ["backing"] = null,
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = disk, ["discard"] = "unmap" },
            }, cancellationToken: cancellationToken);
            added = true;
            var actions = new List<JsonNode>();
            foreach (var (bitmap, inconsistent) in (await BitmapsInQemuAsync(vm, old, cancellationToken)).Where(b => b.Key is ExportBitmap or PendingBitmap))
            {
                if (!inconsistent)
                {
                    actions.Add(TransactionAction("block-dirty-bitmap-add", new JsonObject { ["node"] = node, ["name"] = bitmap, ["persistent"] = true }));
                    actions.Add(TransactionAction("block-dirty-bitmap-merge", new JsonObject
                    {
                        ["node"] = node, ["target"] = bitmap, ["bitmaps"] = new JsonArray(new JsonObject { ["node"] = old, ["name"] = bitmap }),
                    }));
                }
                actions.Add(TransactionAction("block-dirty-bitmap-remove", new JsonObject { ["node"] = old, ["name"] = bitmap }));
            }
            actions.Add(TransactionAction("blockdev-snapshot", new JsonObject { ["node"] = old, ["overlay"] = node }));
            await WithGuestFrozenAsync(source, () => vm.Monitor.ExecuteAsync("transaction", new JsonObject { ["actions"] = new JsonArray([.. actions]) },
                cancellationToken: cancellationToken), cancellationToken);
        }
        catch
        {
            // QEMU may have moved all the same (the thaw failed after, or its answer came late): then the disk is as it must be.
            if (!await MovedOntoAsync(vm, node))
            {
                if (added)
                    await vm.Monitor.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, cancellationToken: CancellationToken.None);
                File.Move(frozen, disk, overwrite: true);
            }
            throw;
        }
        File.SetUnixFileMode(frozen, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return name;
    }

    /// <summary>Whether QEMU writes the root disk through the node; when it cannot be asked, it may: nothing is to be undone then.</summary>
    private static async Task<bool> MovedOntoAsync(Vm vm, string node)
    {
        try
        {
            return await RootNodeAsync(vm, CancellationToken.None) == node;
        }
        catch (Exception e) when (e is QmpException or IOException or TimeoutException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Drops the temporary snapshots that copies cut off by a crash left in the disk: they would keep it from becoming a base.</summary>
    private async Task DropCutsAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        var snapshots = RunningState(PathsOf(context)) is null
            ? (await DiskInfoAsync(disk, cancellationToken)).Snapshots
            : (await RootBlockAsync(await MonitorOfAsync(context, cancellationToken), cancellationToken)).GetProperty("image") is var image &&
              image.TryGetProperty("snapshots", out var list) ? list.EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList() : [];
        foreach (var cut in snapshots.Where(s => s.StartsWith(CutPrefix, StringComparison.Ordinal)))
            await DeleteSnapshotUnlockedAsync(context, cut, cancellationToken);
    }
}
