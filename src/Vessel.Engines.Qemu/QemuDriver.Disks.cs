using System.Text.Json.Nodes;
using Vessel.Core.Drivers;

namespace Vessel.Engines.Qemu;

/// <summary>Block custom volumes plugged into a running VM: a raw block node, then a virtio-blk device on a free root port.</summary>
public sealed partial class QemuDriver
{
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
        await vm.Monitor.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = QemuCommandLine.DiskNodeId(disk) }, cancellationToken: cancellationToken);
    }
}
