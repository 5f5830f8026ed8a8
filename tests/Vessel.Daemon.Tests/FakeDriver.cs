using System.Collections.Concurrent;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>
/// A test-only engine that keeps its "running" instances in memory, so the daemon's lifecycle, operations
/// and reconciliation can be tested without a real runtime. It can be told to fail or to hold an action.
/// </summary>
public sealed class FakeDriver(InstanceType type = InstanceType.Container) : IInstanceDriver
{
    public ConcurrentDictionary<string, InstanceStatus> Actual { get; } = new();
    public ConcurrentQueue<string> Calls { get; } = new();
    public string? FailOn { get; set; }

    /// <summary>A call that, once entered, waits until the test releases it.</summary>
    public sealed class Hold
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly ConcurrentDictionary<string, Hold> _holds = new();

    /// <summary>Holds the next calls of a kind ("start", "snapshot", "restore") until the hold is released.</summary>
    public Hold HoldOn(string call) => _holds[call] = new Hold();

    private async Task HeldAsync(string call, CancellationToken cancellationToken)
    {
        if (_holds.TryGetValue(call, out var hold))
        {
            hold.Entered.TrySetResult();
            await hold.Release.Task.WaitAsync(cancellationToken);
        }
    }

    public InstanceType Type => type;

    public event EventHandler<InstanceStoppedEventArgs>? Stopped;

    /// <summary>The instance's init exits on its own, as after a poweroff inside.</summary>
    public void StopByItself(string name)
    {
        Actual[name] = InstanceStatus.Stopped;
        Stopped?.Invoke(this, new InstanceStoppedEventArgs(name, "init exited with code 0"));
    }

    public DriverInfo Probe() => new("fake", "1", true, "test engine");

    private Task Act(string call, InstanceContext context, Action apply)
    {
        Calls.Enqueue($"{call} {context.Instance.Name}");
        if (FailOn == call)
            throw new VesselException(500, $"fake {call} failure");
        apply();
        return Task.CompletedTask;
    }

    public Task CreateAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Act("create", context, () =>
        {
            File.WriteAllText(Path.Combine(context.RootVolumePath, "made-by-fake"), "x");
            Actual[context.Instance.Name] = InstanceStatus.Stopped;
        });

    public async Task StartAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        await HeldAsync("start", cancellationToken);
        await Act("start", context, () => Actual[context.Instance.Name] = InstanceStatus.Running);
    }

    public Task StopAsync(InstanceContext context, TimeSpan timeout, bool force, CancellationToken cancellationToken) =>
        Act(force ? "kill" : "stop", context, () => Actual[context.Instance.Name] = InstanceStatus.Stopped);

    public Task FreezeAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Act("freeze", context, () => Actual[context.Instance.Name] = InstanceStatus.Frozen);

    public Task UnfreezeAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Act("unfreeze", context, () => Actual[context.Instance.Name] = InstanceStatus.Running);

    public Task DeleteAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Act("delete", context, () => Actual.TryRemove(context.Instance.Name, out _));

    public Task<IExecSession> ExecAsync(InstanceContext context, ExecRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException("the test engine cannot exec");

    public Task<Stream> OpenFileAsync(InstanceContext context, string path, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException("the test engine has no files");

    public Task WriteFileAsync(InstanceContext context, string path, Stream content, InstanceFile file, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException("the test engine has no files");

    public Task<Stream> AttachConsoleAsync(InstanceContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException("the test engine has no console");

    public List<string> Published { get; } = [];

    /// <summary>What CheckSnapshot refuses, as the engines do (a container's stateful snapshot, a VM without a disk).</summary>
    public Exception? SnapshotRefusal { get; set; }

    public void CheckSnapshot(InstanceContext context, bool stateful)
    {
        if (SnapshotRefusal is { } refusal)
            throw refusal;
    }

    /// <summary>What StateDevicesAsync says of every instance; null by default, as a container.</summary>
    public IReadOnlyList<string>? StateDevices { get; set; }

    public Task<IReadOnlyList<string>?> StateDevicesAsync(InstanceContext context, CancellationToken cancellationToken) => Task.FromResult(StateDevices);

    public async Task<string> PublishAsync(InstanceContext context, string? snapshot, string workDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(workDirectory, "rootfs.tar");
        await using (var file = File.Create(path))
        await using (var tar = new System.Formats.Tar.TarWriter(file))
        {
            await tar.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "etc/published")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"{context.Instance.Name}/{snapshot}")),
            }, cancellationToken);
        }
        Published.Add(snapshot is null ? context.Instance.Name : $"{context.Instance.Name}/{snapshot}");
        return path;
    }

    public Task ResizeConsoleAsync(InstanceContext context, int columns, int rows, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Stream> AttachDisplayAsync(InstanceContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedYetException("the test engine has no display");

    public Task<string> ReadConsoleLogAsync(InstanceContext context, CancellationToken cancellationToken) =>
        Task.FromResult($"console of {context.Instance.Name}\n");

    public List<string> AttachedNics { get; } = [];
    public List<string> AttachedDisks { get; } = [];
    public List<string> Snapshots { get; } = [];
    public List<string> Copies { get; } = [];

    /// <summary>The "archive" is a file naming the instance, so that an import can be told apart.</summary>
    public Task ExportAsync(InstanceContext context, string archive, bool withSnapshots, bool incremental, CancellationToken cancellationToken)
    {
        if (ExportRefusal is { } refusal)
            throw new Vessel.Core.ConflictException(refusal);
        if (ExportUnreadable)
        {
            Directory.CreateDirectory(archive);
            return Task.CompletedTask;
        }
        return File.WriteAllTextAsync(archive, $"fake {(incremental ? "increment" : "root")} of {context.Instance.Name}, snapshots {withSnapshots}", cancellationToken);
    }

    /// <summary>When set, the "archive" is a directory: the daemon finds it unreadable once it has begun sending the backup.</summary>
    public bool ExportUnreadable { get; set; }

    public List<string> ExportsEnded { get; } = [];

    public Task ExportEndedAsync(InstanceContext context, bool delivered, CancellationToken cancellationToken)
    {
        lock (ExportsEnded)
            ExportsEnded.Add($"{context.Instance.Name} {(delivered ? "delivered" : "not delivered")}");
        return Task.CompletedTask;
    }

    public Task RecordChangesFromNowAsync(InstanceContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ResizeRootAsync(InstanceContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public void CheckStart(InstanceContext context)
    {
    }

    public async Task ApplyIncrementAsync(InstanceContext context, string archive, CancellationToken cancellationToken)
    {
        var content = await File.ReadAllTextAsync(archive, cancellationToken);
        lock (Imported)
            Imported.Add($"{context.Instance.Name} += {content}");
    }

    /// <summary>When set, an export is refused with this 409, as a real engine refuses a running instance.</summary>
    public string? ExportRefusal { get; set; }

    public List<string> Imported { get; } = [];

    /// <summary>When set, an import's volume is refused with this 400, as a real engine refuses a damaged disk.</summary>
    public string? ImportRefusal { get; set; }

    public async Task ImportAsync(InstanceContext context, string archive, bool withSnapshots, CancellationToken cancellationToken)
    {
        if (ImportRefusal is { } refusal)
            throw new Vessel.Core.BadRequestException(refusal);
        var content = await File.ReadAllTextAsync(archive, cancellationToken);
        lock (Imported)
            Imported.Add($"{context.Instance.Name}: {content}");
        await CreateAsync(context, cancellationToken);
    }

    public Task CopyAsync(InstanceContext context, InstanceContext source, string? snapshot, bool full, CancellationToken cancellationToken)
    {
        lock (Copies)
            Copies.Add($"{source.Instance.Name}{(snapshot is null ? "" : "/" + snapshot)} -> {context.Instance.Name}");
        return CreateAsync(context, cancellationToken);
    }
    public List<string> Restored { get; } = [];

    public async Task CreateSnapshotAsync(InstanceContext context, string snapshot, bool stateful, CancellationToken cancellationToken)
    {
        await HeldAsync("snapshot", cancellationToken);
        lock (Snapshots)
            Snapshots.Add($"{context.Instance.Name}/{snapshot}");
    }

    public async Task RestoreSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        await HeldAsync("restore", cancellationToken);
        lock (Restored)
            Restored.Add($"{context.Instance.Name}/{snapshot}");
    }

    public Task DeleteSnapshotAsync(InstanceContext context, string snapshot, CancellationToken cancellationToken)
    {
        lock (Snapshots)
            Snapshots.Remove($"{context.Instance.Name}/{snapshot}");
        return Task.CompletedTask;
    }

    public Task AttachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken)
    {
        lock (AttachedNics)
            AttachedNics.Add($"{context.Instance.Name}/{nic.Device}");
        return Task.CompletedTask;
    }

    public Task DetachNicAsync(InstanceContext context, NicAttachment nic, CancellationToken cancellationToken)
    {
        lock (AttachedNics)
            AttachedNics.Remove($"{context.Instance.Name}/{nic.Device}");
        return Task.CompletedTask;
    }

    public Task AttachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken)
    {
        lock (AttachedDisks)
            AttachedDisks.Add($"{context.Instance.Name}/{disk.Device}");
        return Task.CompletedTask;
    }

    public Task DetachDiskAsync(InstanceContext context, DiskAttachment disk, CancellationToken cancellationToken)
    {
        lock (AttachedDisks)
            AttachedDisks.Remove($"{context.Instance.Name}/{disk.Device}");
        return Task.CompletedTask;
    }

    public Task ApplyConfigAsync(InstanceContext context, IReadOnlyDictionary<string, string> previousConfig, CancellationToken cancellationToken) =>
        Act("apply", context, () => { });

    public Task<RuntimeState> GetStateAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        var status = Actual.GetValueOrDefault(context.Instance.Name, InstanceStatus.Stopped);
        var usage = status == InstanceStatus.Running ? new InstanceUsage { CpuSeconds = 1.5, MemoryBytes = 1 << 20, Processes = 3 } : null;
        return Task.FromResult(new RuntimeState(status, status == InstanceStatus.Running ? 4242 : null, usage));
    }

    public const long DiskBytes = 7 << 20;

    public Task<long?> GetDiskUsageAsync(InstanceContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"disk {context.Instance.Name}");
        if (FailOn == "disk" || FailOn == $"disk {context.Instance.Name}")
            throw new IOException($"fake disk usage failure of {context.Instance.Name}");
        return Task.FromResult<long?>(DiskBytes);
    }
}
