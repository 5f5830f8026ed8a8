using System.Globalization;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Validation;
using Vessel.Engines.Qemu.Qmp;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Block custom volumes plugged into a running VM: a raw block node, then a virtio-blk device on a free root port. And the
/// root disk's size: grown with qemu-img, or with block_resize while the VM runs (the guest sees the new capacity at once).
/// </summary>
public sealed partial class QemuDriver
{
    public async Task ResizeRootAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        using var diskLock = await LockDiskAsync(context, cancellationToken);
        await GrowRootAsync(context, refuseShrink: true, cancellationToken);
    }

    /// <summary>
    /// Grows the root disk to the size devices.root names. A disk larger than that is refused with
    /// <paramref name="refuseShrink"/> (shrinking would cut off data), else left as it is.
    /// </summary>
    private async Task GrowRootAsync(InstanceContext context, bool refuseShrink, CancellationToken cancellationToken)
    {
        if (DeviceSchema.RootSize(context.Instance.Devices) is not { } size)
            return;
        var disk = VmImages.RootDiskPath(context.RootVolumePath);
        if (!File.Exists(disk))
            throw new NotSupportedYetException($"virtual machine {context.Instance.Name} boots its image's kernel without a disk of its own: it has no root disk to size");
        var vm = RunningState(PathsOf(context)) is null ? null : await MonitorOfAsync(context, cancellationToken);
        var current = vm is null ? (await DiskInfoAsync(disk, cancellationToken)).Size : (await RootNodeAsync(vm, cancellationToken)).VirtualSize;
        if (size < current && refuseShrink)
            throw new BadRequestException($"the root disk size {size} bytes is smaller than {context.Instance.Name}'s disk ({current} bytes); shrinking would cut off its data");
        if (size <= current)
            return;
        if (vm is null)
            await QemuImgAsync(["resize", "-q", "-f", "qcow2", disk, size.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        else
            await vm.Monitor.ExecuteAsync("block_resize", new JsonObject { ["device"] = QemuCommandLine.RootDrive, ["size"] = size },
                cancellationToken: cancellationToken);
    }

    public async Task AttachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken)
    {
        RefuseWithoutHotplug(context, disk.Device, "added to");
        var vm = await MonitorOfAsync(context, cancellationToken);
        var port = await FreePortAsync(vm, context, cancellationToken);
        var node = QemuCommandLine.DiskNodeId(disk);
        await vm.Monitor.ExecuteAsync("blockdev-add", new JsonObject
        {
            ["driver"] = "raw", ["node-name"] = node, ["read-only"] = disk.ReadOnly, ["discard"] = "unmap",
            ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = disk.Source },
        }, cancellationToken: cancellationToken);
        try
        {
            await vm.Monitor.ExecuteAsync("device_add", new JsonObject
            {
                ["driver"] = "virtio-blk-pci", ["id"] = QemuCommandLine.DiskId(disk), ["drive"] = node,
                ["serial"] = QemuCommandLine.DiskSerial(disk), ["bus"] = port,
            }, cancellationToken: cancellationToken);
        }
        catch
        {
            await vm.Monitor.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, cancellationToken: CancellationToken.None);
            throw;
        }
    }

    public async Task DetachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken)
    {
        RefuseWithoutHotplug(context, disk.Device, "removed from");
        var vm = await MonitorOfAsync(context, cancellationToken);
        await UnplugAsync(vm, QemuCommandLine.DiskId(disk), disk.Device, cancellationToken);
        // The device lets go of its node when it is finalized, which may come a moment after it left the machine.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await vm.Monitor.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = QemuCommandLine.DiskNodeId(disk) }, cancellationToken: cancellationToken);
                return;
            }
            catch (QmpException e) when (e.Description.Contains("is in use", StringComparison.Ordinal) && attempt < 50)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }
}
