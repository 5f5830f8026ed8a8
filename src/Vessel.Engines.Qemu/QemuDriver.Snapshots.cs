using System.Text.Json;
using System.Text.Json.Nodes;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Validation;
using Vessel.Engines.Qemu.Qmp;
using Vessel.Linux;

namespace Vessel.Engines.Qemu;

/// <summary>
/// VM snapshots live inside the instance's qcow2 root disk as internal snapshots: QMP takes them from a running VM
/// (blockdev-snapshot-internal-sync; with memory and device state, HMP's savevm, which writes the VM's state into the
/// same disk), qemu-img from a stopped one. A VM without a disk (a kernel image) has nowhere to keep them. Custom block
/// volumes are raw files, outside every snapshot: a stateful snapshot is refused while a writable one is attached, since
/// loading it would put back a guest whose memory no longer matches the volume's file system.
/// </summary>
public sealed partial class QemuDriver
{
    private static readonly TimeSpan SaveOrLoadTimeout = TimeSpan.FromMinutes(10);

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
        if (!stateful)
            return;
        if (RunningState(PathsOf(context)) is null)
            throw new ConflictException($"virtual machine {context.Instance.Name} is stopped: a stateful snapshot needs it running");
        if (context.Disks.FirstOrDefault(d => !d.ReadOnly) is { } volume)
            throw new ConflictException($"a custom volume is attached to virtual machine {context.Instance.Name} as {volume.Device}, writable, and " +
                "snapshots do not cover custom volumes: after a restore the guest's memory would not match the volume's file system. " +
                "Detach it (or attach it readonly=true), or take a snapshot without --stateful");
    }

    /// <summary>
    /// The vCPUs and the devices with an id (Vessel names each it adds, at the start and hotplugged), whose state a
    /// stateful snapshot holds: QEMU loads a saved state into a machine with other devices without a word, and then
    /// misbehaves (a guest back at one vCPU beside a second one plugged in; the next unplug ended QEMU).
    /// </summary>
    public async Task<IReadOnlyList<string>?> StateDevicesAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        if (RunningState(PathsOf(context)) is null)
            return null;
        var vm = await MonitorOfAsync(context, cancellationToken);
        var cpus = (await vm.Monitor.ExecuteAsync("query-cpus-fast", cancellationToken: cancellationToken)).GetArrayLength();
        var devices = (await PeripheralsAsync(vm, cancellationToken))
            // vCPUs count as a number: those added while it ran are devices, those it booted with are not
            .Where(p => p.Type.StartsWith("child<", StringComparison.Ordinal) && !p.Type.EndsWith("-cpu>", StringComparison.Ordinal))
            .Select(p => "device=" + p.Name).Order(StringComparer.Ordinal);
        return [$"cpus={cpus}", .. devices];
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
            await SnapshotRunningDiskAsync(context, vm, snapshot, cancellationToken);
            return;
        }
        try
        {
            await HumanMonitorAsync(vm, $"savevm {snapshot}", cancellationToken);
        }
        catch (VesselException e) when (e.Message.Contains("Error while writing VM state", StringComparison.Ordinal) &&
            new DriveInfo(Path.GetDirectoryName(disk)!).TotalFreeSpace is var free && free < vm.State.MemoryBytes)
        {
            // QEMU 7.2 reports a disk that filled up under the state it writes as EIO; the daemon knows a full pool by these
            // words (StorageFullException.IsCause). QEMU drops the half-made snapshot.
            throw new VesselException(500, $"{e.Message} (the disk's filesystem has {Sizes.Format(free)} left, less than the guest's " +
                $"{Sizes.Format(vm.State.MemoryBytes)} of memory that the state may take: read as No space left on device)", e);
        }
    }

    public async Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        if (RunningState(PathsOf(context)) is { CpuUnplugged: true })
            throw new ConflictException($"a vCPU was taken out of virtual machine {context.Instance.Name} while it ran, after which QEMU 7.2 " +
                $"cannot load a saved state (it corrupts its memory and ends): restart it (vessel restart {context.Instance.Name}), then restore");
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
            var root = await RootNodeAsync(vm, cancellationToken);
            foreach (var bitmap in root.Bitmaps.Keys.Intersect([ExportBitmap, PendingBitmap]))
                await vm.Monitor.ExecuteAsync("block-dirty-bitmap-remove", new JsonObject { ["node"] = root.Name, ["name"] = bitmap }, cancellationToken: cancellationToken);
            await HumanMonitorAsync(vm, $"loadvm {snapshot}", cancellationToken);
            // loadvm resumes a VM that ran; one paused before goes on too, as the restore promises. (A failed load leaves
            // QEMU paused with what it had loaded: not to be resumed.)
            await vm.Monitor.ExecuteAsync("cont", cancellationToken: cancellationToken);
        }
        // The disk is back at the size it had when the snapshot was taken. A snapshot keeps no config, as a copy of one does
        // not: devices.root.size holds, and the disk grows back to it (growing loses nothing).
        await GrowRootAsync(context, refuseShrink: false, cancellationToken);
    }

    /// <summary>
    /// An internal snapshot of a running VM's root disk, taken with the guest's filesystems frozen, so that it holds what
    /// the guest had written as after a sync (a stateful snapshot needs no freeze: the guest's page cache is in its memory).
    /// </summary>
    private async Task SnapshotRunningDiskAsync(InstanceContext context, Vm vm, string snapshot, CancellationToken cancellationToken) =>
        await WithGuestFrozenAsync(context, () => vm.Monitor.ExecuteAsync("blockdev-snapshot-internal-sync",
            new JsonObject { ["device"] = QemuCommandLine.RootDrive, ["name"] = snapshot }, cancellationToken: cancellationToken), cancellationToken);

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


    /// <summary>
    /// savevm or loadvm (names are DNS labels: nothing to quote). Their QMP job forms, snapshot-save and snapshot-load, do
    /// the same work in a coroutine that wakes QEMU's main loop four times as often: loading a 512 MiB guest took 131 ms
    /// against loadvm's 111 here. HMP answers with text, which holds the error when there is one.
    /// </summary>
    private static async Task HumanMonitorAsync(Vm vm, string commandLine, CancellationToken cancellationToken)
    {
        var output = (await OnOneCpuAsync(vm, () => vm.Monitor.ExecuteAsync("human-monitor-command",
            new JsonObject { ["command-line"] = commandLine }, SaveOrLoadTimeout, cancellationToken))).GetString() ?? "";
        if (output.Split('\n').FirstOrDefault(l => l.StartsWith("Error", StringComparison.Ordinal)) is { } error)
            throw new VesselException(500, $"{commandLine} failed: {error.Trim()}");
    }

    /// <summary>
    /// Runs a save or load with every QEMU thread on the CPU its main thread last ran on, then gives them their mask back.
    /// The guest is stopped meanwhile, and the main loop and the I/O workers it hands each read to wake each other thousands
    /// of times; on this 2-CPU host the scheduler kept moving them apart while vesseld and the CLI ran too: a 512 MiB guest
    /// loaded in ~190 ms through Vessel, ~95 ms confined (loadvm by hand, unconfined: ~110 ms). The mask waits in the run
    /// directory meanwhile, so that a daemon killed in between gives it back when it adopts the VM. Vessel pins no QEMU
    /// thread otherwise: all of them get the main thread's mask back.
    /// </summary>
    private static async Task<T> OnOneCpuAsync<T>(Vm vm, Func<Task<T>> work)
    {
        var pid = vm.State.Pid;
        if (CpuAffinity.Get(pid) is not { } mask || CpuAffinity.LastCpuOf(pid, pid) is not { } one)
            return await work();
        File.WriteAllText(vm.Paths.ConfinedCpus, CpuAffinity.Format(mask));
        try
        {
            foreach (var thread in CpuAffinity.Threads(pid))
                CpuAffinity.Set(thread, one);
            return await work();
        }
        finally
        {
            RestoreCpus(vm.Paths, pid);
        }
    }

    /// <summary>Gives QEMU's threads the mask a save or load took from them, if one did.</summary>
    private static void RestoreCpus(QemuPaths paths, int pid)
    {
        string saved;
        try
        {
            saved = File.ReadAllText(paths.ConfinedCpus);
        }
        catch (FileNotFoundException)
        {
            return;
        }
        var mask = CpuAffinity.Parse(saved);
        foreach (var thread in CpuAffinity.Threads(pid))
            CpuAffinity.Set(thread, mask);
        File.Delete(paths.ConfinedCpus);
    }

    /// <summary>The root drive's block node in the running QEMU: its name (which the bitmap commands
    /// name), its dirty bitmaps, each with whether it is inconsistent, its size and its internal snapshots.</summary>
    private sealed record RootNode(string Name, Dictionary<string, bool> Bitmaps, long VirtualSize, IReadOnlyList<string> Snapshots);

    /// <summary>The root node as one query-block tells it.</summary>
    private static async Task<RootNode> RootNodeAsync(Vm vm, CancellationToken cancellationToken)
    {
        foreach (var device in (await vm.Monitor.ExecuteAsync("query-block", cancellationToken: cancellationToken)).EnumerateArray())
        {
            if (device.GetProperty("device").GetString() != QemuCommandLine.RootDrive || !device.TryGetProperty("inserted", out var inserted))
                continue;
            var bitmaps = inserted.TryGetProperty("dirty-bitmaps", out var list)
                ? list.EnumerateArray().ToDictionary(b => b.GetProperty("name").GetString()!, b => b.TryGetProperty("inconsistent", out var flag) && flag.GetBoolean())
                : [];
            var image = inserted.GetProperty("image");
            var snapshots = image.TryGetProperty("snapshots", out var taken) ? taken.EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList() : [];
            return new RootNode(inserted.GetProperty("node-name").GetString()!, bitmaps, image.GetProperty("virtual-size").GetInt64(), snapshots);
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
