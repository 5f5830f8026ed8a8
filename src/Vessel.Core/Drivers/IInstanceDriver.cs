using Vessel.Core.Model;

namespace Vessel.Core.Drivers;

/// <summary>
/// The contract every engine (containers, VMs) fulfils, so that the daemon, the CLI and the UI never ask
/// "is this a VM?" except to show it. Members are grouped as in Incus's instance interface.
/// </summary>
public interface IInstanceDriver
{
    InstanceType Type { get; }

    /// <summary>Asked once at daemon start; a driver that cannot work on this host says why instead of throwing.</summary>
    DriverInfo Probe();

    // Actions
    /// <summary>Makes the instance's root filesystem or disk from its image in the prepared root volume.</summary>
    Task CreateAsync(InstanceContext context, CancellationToken cancellationToken);
    /// <summary>
    /// Makes the instance's root as a copy of another's (of its snapshot when one is named), in the prepared root volume:
    /// sharing the source's blocks where the pool allows, or, when full, sharing nothing with the source but the image.
    /// </summary>
    Task CopyAsync(InstanceContext context, InstanceContext source, string? snapshot, bool full, CancellationToken cancellationToken);
    /// <summary>Refuses a start that cannot go ahead, before anything is changed for it.</summary>
    void CheckStart(InstanceContext context);
    Task StartAsync(InstanceContext context, CancellationToken cancellationToken);
    /// <summary>
    /// Gives the root the size its root disk device names now, running or not: a VM's disk grows (live, where it runs;
    /// never shrinks), a container's quota changes.
    /// </summary>
    Task ResizeRootAsync(InstanceContext context, CancellationToken cancellationToken);
    /// <summary>Asks the guest to shut down, and kills it after the timeout (at once when force is set).</summary>
    Task StopAsync(InstanceContext context, TimeSpan timeout, bool force, CancellationToken cancellationToken);
    Task FreezeAsync(InstanceContext context, CancellationToken cancellationToken);
    Task UnfreezeAsync(InstanceContext context, CancellationToken cancellationToken);
    /// <summary>Removes everything the engine made for the instance outside its root volume.</summary>
    Task DeleteAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>Runs a command inside the running instance; the caller streams its input and output.</summary>
    Task<IExecSession> ExecAsync(InstanceContext context, ExecRequest request, CancellationToken cancellationToken);

    // Files
    /// <summary>Opens a regular file of the running instance for reading; PATH is absolute, as the instance sees it.</summary>
    /// <exception cref="NotFoundException">There is no such file.</exception>
    Task<Stream> OpenFileAsync(InstanceContext context, string path, CancellationToken cancellationToken);

    /// <summary>Writes CONTENT to a regular file of the running instance (made, or emptied first) with the given mode and owner.</summary>
    Task WriteFileAsync(InstanceContext context, string path, Stream content, InstanceFile file, CancellationToken cancellationToken);

    // Console
    /// <summary>A two-way byte stream to the instance's console (a container's pty, a VM's serial port).</summary>
    Task<Stream> AttachConsoleAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>Tells the console's terminal its size in characters, where the console is a terminal (a container's pty).</summary>
    Task ResizeConsoleAsync(InstanceContext context, int columns, int rows, CancellationToken cancellationToken);

    /// <summary>A two-way byte stream to the instance's graphical display, spoken in RFB (VNC), for remote desktops.</summary>
    Task<Stream> AttachDisplayAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>What the console printed lately (the log the engine keeps), empty when there is none.</summary>
    Task<string> ReadConsoleLogAsync(InstanceContext context, CancellationToken cancellationToken);

    // Config
    /// <summary>Applies a config change to a running instance; throws NotSupportedYetException for keys it cannot change live.</summary>
    Task ApplyConfigAsync(InstanceContext context, IReadOnlyDictionary<string, string> previousConfig, CancellationToken cancellationToken);

    /// <summary>Puts a nic, whose host end the network driver made, into the running instance.</summary>
    Task AttachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken);

    /// <summary>Takes a nic out of the running instance.</summary>
    Task DetachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken);

    /// <summary>Gives the running instance a custom volume; throws NotSupportedYetException where the engine cannot while it runs.</summary>
    Task AttachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken);

    /// <summary>Takes a custom volume out of the running instance.</summary>
    Task DetachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken);

    // Backups
    /// <summary>
    /// Writes the stopped instance's root (with its snapshots' data unless told not to) as one tar file; incremental, only
    /// what changed since the last export was delivered (NotSupportedYetException where the engine cannot).
    /// </summary>
    Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, bool incremental, CancellationToken cancellationToken);

    /// <summary>
    /// An export ended (the instance may have started since it read the disk). Delivered, the next incremental export holds
    /// the changes made since that read; not delivered, still those since the export before.
    /// </summary>
    Task ExportEndedAsync(InstanceContext context, bool delivered, CancellationToken cancellationToken);

    /// <summary>The stopped instance was just restored from an export: the next incremental export holds the changes made from now on.</summary>
    Task RecordChangesFromNowAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>Applies an incremental export's archive onto the stopped instance, which holds the export it follows.</summary>
    Task ApplyIncrementAsync(InstanceContext context, string archive, CancellationToken cancellationToken);

    /// <summary>Makes the instance's root from an archive of <see cref="ExportAsync"/>, in the prepared root volume.</summary>
    Task ImportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken);

    // Images
    /// <summary>
    /// Writes the stopped instance (or one of its snapshots, also while it runs) in WORK as an image file the image store imports, and returns
    /// its path: a container's root filesystem as a tarball, a VM's disk flattened (with its image's kernel).
    /// </summary>
    Task<string> PublishAsync(InstanceContext context, string? snapshot, string workDirectory, CancellationToken cancellationToken);

    // Snapshots
    /// <summary>Throws when the engine cannot take such a snapshot of the instance as it is now; asked before an operation starts.</summary>
    void CheckSnapshot(InstanceContext context, bool stateful);

    /// <summary>
    /// The running instance's machine as a stateful snapshot would hold it (<see cref="Model.Snapshot.StateDevices"/>); null
    /// where the engine keeps no such state or the instance is stopped.
    /// </summary>
    Task<IReadOnlyList<string>?> StateDevicesAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>Takes a consistent snapshot of the instance's root (and with stateful, of a VM's memory and devices).</summary>
    Task CreateSnapshotAsync(InstanceContext context, string snapshot, bool stateful, CancellationToken cancellationToken);

    /// <summary>Puts the instance back to the snapshot; the caller has stopped it unless the snapshot is stateful.</summary>
    Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken);

    Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken);

    // State
    /// <summary>What is really running, asked on daemon start (re-adoption) and for usage.</summary>
    Task<RuntimeState> GetStateAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The bytes the instance's root occupies in its pool beyond its image, its snapshots included as far as the pool tells
    /// them apart (blocks shared with a copy or between snapshots are counted once, twice or not at all, by engine and pool:
    /// see the README); null where the pool cannot tell cheaply. It may walk a directory tree, so it is asked for one
    /// instance's info and for metrics, not for a list.
    /// </summary>
    Task<long?> GetDiskUsageAsync(InstanceContext context, CancellationToken cancellationToken);

    /// <summary>Raised when an instance stops by itself (its init exited, the guest powered off).</summary>
    event EventHandler<InstanceStoppedEventArgs>? Stopped;
}

public sealed class InstanceStoppedEventArgs(string name, string reason) : EventArgs
{
    public string Name { get; } = name;
    /// <summary>How it ended, for the instance's status reason, e.g. "init exited with code 0".</summary>
    public string Reason { get; } = reason;
}

/// <summary>The instance with the host paths an engine works in.</summary>
public sealed record InstanceContext(Instance Instance, string RootVolumePath, string RunDirectory, string LogDirectory, string? ImagePath)
{
    /// <summary>The instance's nics, their host ends made by the network driver before a start.</summary>
    public IReadOnlyList<NicAttachment> Nics { get; init; } = [];

    /// <summary>O(1) snapshots of the root volume's pool (btrfs), or null when the pool has none (dir).</summary>
    public ISubvolumes? Subvolumes { get; init; }

    /// <summary>The custom volumes the instance's disk devices attach, in device-name order.</summary>
    public IReadOnlyList<DiskAttachment> Disks { get; init; } = [];

    /// <summary>Where the engine keeps what the instance's console printed.</summary>
    public string ConsoleLog => Path.Combine(LogDirectory, Instance.Name, "console.log");
}

/// <summary>
/// A custom volume as an engine gets it: Source is its directory (filesystem) or raw disk file (block) on the host; Path is
/// where a filesystem volume is mounted inside a container.
/// </summary>
public sealed record DiskAttachment(string Device, string Source, bool Block, string? Path, bool ReadOnly);

/// <param name="Reason">How a stopped instance ended, when the engine knows (e.g. "init exited with code 0").</param>
/// <param name="Machine">What a running VM runs on: its machine type, its QEMU and accelerator (e.g. "virt (qemu-system-aarch64, tcg)").</param>
/// <param name="VncAddress">Where a running VM's display listens on TCP for VNC clients (vm.vnc.address), e.g. 127.0.0.1:5901.</param>
public sealed record RuntimeState(InstanceStatus Status, int? Pid = null, InstanceUsage? Usage = null, string? Reason = null, string? Machine = null,
    string? VncAddress = null);

public sealed record DriverInfo(string Name, string Version, bool Operational, string Detail);
