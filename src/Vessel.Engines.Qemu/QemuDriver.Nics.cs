using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;

namespace Vessel.Engines.Qemu;

/// <summary>
/// Nic and disk hotplug over QMP (and the unplug wait vCPUs share). Every nic and custom volume sits on a PCIe root port of
/// its own (QemuCommandLine makes <see cref="QemuCommandLine.HotplugPorts"/> of them), which is what lets the guest's
/// pciehp take one in or out.
/// </summary>
public sealed partial class QemuDriver
{
    private static readonly TimeSpan UnplugWait = TimeSpan.FromSeconds(15);

    public async Task AttachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken)
    {
        RefuseWithoutHotplug(context, nic.Device, "added to");
        var vm = await MonitorOfAsync(context, cancellationToken);
        var port = await FreePortAsync(vm, context, cancellationToken);
        await vm.Monitor.ExecuteAsync("netdev_add", new JsonObject
        {
            ["type"] = "tap", ["id"] = QemuCommandLine.NetdevId(nic), ["ifname"] = nic.HostInterface, ["script"] = "no", ["downscript"] = "no",
        }, cancellationToken: cancellationToken);
        try
        {
            await vm.Monitor.ExecuteAsync("device_add", new JsonObject
            {
                ["driver"] = "virtio-net-pci", ["id"] = QemuCommandLine.NicId(nic), ["netdev"] = QemuCommandLine.NetdevId(nic), ["mac"] = nic.Hwaddr,
                ["host_mtu"] = nic.Mtu, ["bus"] = port,
            }, cancellationToken: cancellationToken);
        }
        catch
        {
            await vm.Monitor.ExecuteAsync("netdev_del", new JsonObject { ["id"] = QemuCommandLine.NetdevId(nic) }, cancellationToken: CancellationToken.None);
            throw;
        }
    }

    /// <summary>Asks the guest to release the nic (PCIe hot-unplug) and waits until QEMU has removed it.</summary>
    public async Task DetachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken)
    {
        RefuseWithoutHotplug(context, nic.Device, "removed from");
        var vm = await MonitorOfAsync(context, cancellationToken);
        await UnplugAsync(vm, QemuCommandLine.NicId(nic), nic.Device, cancellationToken);
        await vm.Monitor.ExecuteAsync("netdev_del", new JsonObject { ["id"] = QemuCommandLine.NetdevId(nic) }, cancellationToken: cancellationToken);
    }

    private static void RefuseWithoutHotplug(InstanceContext context, string device, string change)
    {
        var machine = QemuMachine.For(context.Instance.Architecture, context.Instance.Config);
        if (!machine.Pci)
            throw new NotSupportedYetException($"a {machine.Name} machine has no hotplug: {device} cannot be {change} \"{context.Instance.Name}\" while it runs; stop it first");
    }

    /// <summary>Asks the guest to release a device (device_del: PCIe or ACPI hot-unplug) and waits until QEMU has removed it.</summary>
    private static async Task UnplugAsync(Vm vm, string id, string what, CancellationToken cancellationToken)
    {
        await vm.Monitor.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, cancellationToken: cancellationToken);
        var deadline = DateTime.UtcNow + UnplugWait;
        while (await HasPeripheralAsync(vm, id, cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
                throw new VesselException(409, $"the guest in {vm.Name} did not release {what} within {UnplugWait.TotalSeconds:0} s");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<bool> HasPeripheralAsync(Vm vm, string id, CancellationToken cancellationToken) =>
        (await PeripheralsAsync(vm, cancellationToken)).Any(p => p.Name == id);

    /// <summary>The machine's devices with an id (the children of /machine/peripheral), with their QOM types such as child&lt;virtio-net-pci&gt;.</summary>
    private static async Task<List<(string Name, string Type)>> PeripheralsAsync(Vm vm, CancellationToken cancellationToken) =>
        [.. (await vm.Monitor.ExecuteAsync("qom-list", new JsonObject { ["path"] = "/machine/peripheral" }, cancellationToken: cancellationToken))
            .EnumerateArray().Select(p => (p.GetProperty("name").GetString()!, p.GetProperty("type").GetString()!))];

    /// <summary>The first hotplug root port with no device behind it, from query-pci.</summary>
    private static async Task<string> FreePortAsync(Vm vm, InstanceContext context, CancellationToken cancellationToken)
    {
        var buses = await vm.Monitor.ExecuteAsync("query-pci", cancellationToken: cancellationToken);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in buses.EnumerateArray().SelectMany(b => b.GetProperty("devices").EnumerateArray()))
        {
            if (device.TryGetProperty("qdev_id", out var qdev) && qdev.GetString() is { } port &&
                device.TryGetProperty("pci_bridge", out var bridge) && bridge.TryGetProperty("devices", out var behind) && behind.GetArrayLength() > 0)
                used.Add(port);
        }
        return Enumerable.Range(0, QemuCommandLine.HotplugPorts).Select(QemuCommandLine.PortId).FirstOrDefault(p => !used.Contains(p))
            ?? throw new NotSupportedYetException(
                $"all {QemuCommandLine.HotplugPorts} hotplug ports of {context.Instance.Name} hold nics or disks; stop it to add more");
    }
}
