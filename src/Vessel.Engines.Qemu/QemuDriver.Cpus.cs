using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Engines.Qemu.Qmp;

namespace Vessel.Engines.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>A vCPU slot of query-hotpluggable-cpus: its CPU model, its place (socket, core, thread ids) and, when plugged, its QOM path.</summary>
    private sealed record CpuSlot(string Type, JsonObject Props, string? QomPath)
    {
        /// <summary>Plugged with device_add: the boot vCPUs (-smp) cannot be taken out.</summary>
        public bool HotPlugged => QomPath?.StartsWith("/machine/peripheral/", StringComparison.Ordinal) == true;

        /// <summary>The device id, from its place: vcpu-S-C-T.</summary>
        public string Id => "vcpu-" + string.Join('-', Props.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value!.ToJsonString()));
    }

    /// <summary>
    /// Brings the guest to <paramref name="target"/> vCPUs while it runs (ACPI CPU hotplug, q35 only): device_add of free
    /// slots up to the -smp maxcpus it booted with (the host's CPUs), or device_del of vCPUs added so, newest first, which
    /// the guest has to let go (it takes the CPU offline and ejects it). A guest onlines an added vCPU itself (Vessel's
    /// images do: a uevent handler, a udev rule); the boot vCPUs stay.
    /// </summary>
    private static async Task SetCpusAsync(Vm vm, QemuPaths paths, int target, CancellationToken cancellationToken)
    {
        var slots = await CpuSlotsAsync(vm.Monitor, cancellationToken);
        var plugged = slots.Where(s => s.QomPath is not null).ToList();
        if (target > slots.Count)
            throw new NotSupportedYetException($"limits.cpu: virtual machine {vm.Name} started with room for {slots.Count} vCPUs; more needs a restart");
        if (target < plugged.Count(s => !s.HotPlugged))
            throw new NotSupportedYetException($"limits.cpu: virtual machine {vm.Name} booted with {plugged.Count(s => !s.HotPlugged)} vCPUs, " +
                "which cannot be taken out while it runs; fewer needs a restart");
        // Slots ordered by place: added from the lowest free one, removed from the highest added one.
        var free = slots.Where(s => s.QomPath is null).OrderBy(s => s.Id, StringComparer.Ordinal).Take(Math.Max(0, target - plugged.Count));
        foreach (var slot in free)
        {
            var arguments = new JsonObject { ["driver"] = slot.Type, ["id"] = slot.Id };
            foreach (var (key, value) in slot.Props)
                arguments[key] = value!.DeepClone();
            await vm.Monitor.ExecuteAsync("device_add", arguments, cancellationToken: cancellationToken);
        }
        var removed = plugged.Where(s => s.HotPlugged).OrderByDescending(s => s.Id, StringComparer.Ordinal).Take(Math.Max(0, plugged.Count - target)).ToList();
        if (removed.Count > 0 && QemuState.Read(paths) is { } state)
            (state with { CpuUnplugged = true }).Write(paths);
        foreach (var slot in removed)
            await UnplugAsync(vm, slot.Id, $"vCPU {slot.Id}", cancellationToken);
    }

    private static async Task<List<CpuSlot>> CpuSlotsAsync(QmpClient monitor, CancellationToken cancellationToken)
    {
        var result = await monitor.ExecuteAsync("query-hotpluggable-cpus", cancellationToken: cancellationToken);
        return [.. result.EnumerateArray().Select(slot => new CpuSlot(
            slot.GetProperty("type").GetString()!,
            JsonNode.Parse(slot.GetProperty("props").GetRawText())!.AsObject(),
            slot.TryGetProperty("qom-path", out var path) ? path.GetString() : null))];
    }
}
