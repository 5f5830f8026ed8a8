using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.Scheduling;
using Vessel.Core.Validation;

namespace Vessel.Daemon.Instances;

public sealed partial class InstanceService
{
    public static string SnapshotPath(string instance, string snapshot) => $"{Path(instance)}/snapshots/{snapshot}";

    public async Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(string name, CancellationToken cancellationToken)
    {
        await GetAsync(name, cancellationToken);
        return await store.ListSnapshotsAsync(name, cancellationToken);
    }

    public async Task<Snapshot> GetSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken) =>
        (await ListSnapshotsAsync(name, cancellationToken)).FirstOrDefault(s => s.Name.Equals(snapshot, StringComparison.OrdinalIgnoreCase))
        ?? throw new NotFoundException($"instance \"{name}\" has no snapshot \"{snapshot}\"");

    /// <summary>The request's expiry that keeps a snapshot however the instance's snapshots.expiry reads.</summary>
    public const string NeverExpires = "never";

    public async Task<Operation> CreateSnapshotAsync(string name, SnapshotsPost request, CancellationToken cancellationToken)
    {
        var instance = await ReadyAsync(name, cancellationToken);
        var now = time.GetUtcNow();
        return await TakeSnapshotAsync(instance, request.Name, request.Stateful, request.Description ?? "", RequestedExpiry(instance, request, now), now, "",
            cancellationToken);
    }

    /// <summary>The snapshot snapshots.schedule asks for: named by snapshots.pattern, kept for snapshots.expiry, without memory (as in Incus).</summary>
    public async Task<Operation> CreateScheduledSnapshotAsync(string name, CancellationToken cancellationToken)
    {
        var instance = await ReadyAsync(name, cancellationToken);
        var now = time.GetUtcNow();
        return await TakeSnapshotAsync(instance, null, stateful: false, "", SnapshotConfig.ExpiresAt(instance, now), now, " (scheduled)", cancellationToken);
    }

    /// <summary>As in Incus: the request's expires_at or expiry, else the instance's snapshots.expiry; "never" for none at all.</summary>
    private static DateTimeOffset? RequestedExpiry(Instance instance, SnapshotsPost request, DateTimeOffset now)
    {
        if (request.Expiry is not null && request.ExpiresAt is not null)
            throw new BadRequestException("expiry, expires_at: give one of them, not both");
        if (request.ExpiresAt is { } at)
            return at > now ? at.ToUniversalTime() : throw new BadRequestException($"expires_at: {at:O} has passed already");
        return request.Expiry switch
        {
            null => SnapshotConfig.ExpiresAt(instance, now),
            NeverExpires => null,
            var span => Expiry.Parse("expiry", span).After(now),
        };
    }

    private async Task<Operation> TakeSnapshotAsync(Instance instance, string? requestedName, bool stateful, string description, DateTimeOffset? expiresAt,
        DateTimeOffset now, string why, CancellationToken cancellationToken)
    {
        var name = instance.Name;
        var existing = await store.ListSnapshotsAsync(name, cancellationToken);
        var snapshot = requestedName ?? SnapshotPattern.NextName(SnapshotConfig.PatternOf(instance), now, existing.Select(s => s.Name));
        Names.ValidateLabel("name", snapshot);
        if (existing.Any(s => s.Name.Equals(snapshot, StringComparison.OrdinalIgnoreCase)))
            throw new ConflictException($"instance \"{name}\" already has a snapshot named \"{snapshot}\"");
        var driver = drivers.Get(instance.Type);
        var context = await ContextAsync(instance, cancellationToken);
        if (stateful) // the engine refuses to save memory beside a volume the snapshot leaves out
            context = await WithDevicesAsync(context, cancellationToken);
        driver.CheckSnapshot(context, stateful); // what the engine cannot do is refused now, not as a failed operation
        // The record comes first and reserves the name: a second request for it is refused before anything is copied.
        var devices = stateful ? await driver.StateDevicesAsync(context, cancellationToken) : null;
        await store.CreateSnapshotAsync(new Snapshot
        {
            Instance = name, Name = snapshot, Stateful = stateful, Description = description, CreatedAt = now, ExpiresAt = expiresAt,
            StateDevices = devices,
        }, cancellationToken);
        return await operations.StartAsync($"Snapshotting instance {name} as {snapshot}{why}", [Path(name), SnapshotPath(name, snapshot)], mayCancel: false, async ct =>
        {
            try
            {
                await using var instanceLock = await _locks.LockAsync(name, ct);
                var current = await ContextAsync(await GetAsync(name, ct), ct);
                if (stateful)
                {
                    current = await WithDevicesAsync(current, ct);
                    // (a VM stopped meanwhile has none: the engine says it is stopped)
                    if (await driver.StateDevicesAsync(current, ct) is { } now && !now.SequenceEqual(devices ?? []))
                        throw new ConflictException($"the vCPUs or devices of {name} changed while the snapshot waited for the operation before it; take it again");
                }
                await pools.WritingAsync(await pools.GetAsync(instance.Pool, ct), () => driver.CreateSnapshotAsync(current, snapshot, stateful, ct));
            }
            catch
            {
                try
                {
                    await store.DeleteSnapshotAsync(name, snapshot, CancellationToken.None);
                }
                catch (NotFoundException)
                {
                    // the instance went meanwhile, with its records: the error that counts is the snapshot's
                }
                throw;
            }
            events.Lifecycle("instance-snapshot-created", SnapshotPath(name, snapshot));
        }, CancellationToken.None);
    }

    /// <summary>
    /// Puts the instance back to the snapshot. A snapshot without memory restores a stopped instance: a running
    /// one is stopped first and started again after; a stateful one is loaded into the running VM (a stopped one is
    /// started first), which goes on from the moment it was taken.
    /// </summary>
    public async Task<Operation> RestoreSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken)
    {
        var instance = await ReadyAsync(name, cancellationToken);
        var found = await GetSnapshotAsync(name, snapshot, cancellationToken);
        var driver = drivers.Get(instance.Type);
        if (instance.Ephemeral && !found.Stateful && instance.Status is InstanceStatus.Running or InstanceStatus.Frozen)
            throw EphemeralRestore(name);
        if (found.Stateful)
            await CheckStateDevicesAsync(driver, await ContextAsync(instance, cancellationToken), found, cancellationToken);
        return await OperateAsync(name, $"Restoring instance {name} to {found.Name}", [Path(name), SnapshotPath(name, found.Name)], mayCancel: false, async ct =>
        {
            var current = await GetAsync(name, ct);
            var wasRunning = current.Status is InstanceStatus.Running or InstanceStatus.Frozen;
            if (current.Ephemeral && !found.Stateful && wasRunning) // again: an operation before it may have started it
                throw EphemeralRestore(name);
            if (wasRunning && !found.Stateful)
                await RunActionAsync(name, InstanceAction.Stop, TimeSpan.FromSeconds(30), force: false, ct);
            if (!wasRunning && found.Stateful)
                await RunActionAsync(name, InstanceAction.Start, TimeSpan.Zero, force: false, ct); // the saved state is loaded into a running VM
            try
            {
                if (found.Stateful) // again: the machine may have changed since the request, or just started with other devices
                    await CheckStateDevicesAsync(driver, await ContextAsync(await GetAsync(name, ct), ct), found, ct);
                await SetVolatileAsync(name, ExportBaseKey, null, ct);
                var context = await ContextAsync(current, ct);
                await pools.WritingAsync(await pools.GetAsync(current.Pool, ct), () => driver.RestoreSnapshotAsync(context, found.Name, ct));
            }
            catch when (found.Stateful)
            {
                // A VM started for the restore goes back to stopped (it has run only a moment); a failed load leaves QEMU paused.
                if (!wasRunning)
                    await RunActionAsync(name, InstanceAction.Stop, TimeSpan.Zero, force: true, CancellationToken.None);
                else
                    await store.SetStatusAsync(name, (await driver.GetStateAsync(await ContextAsync(current, CancellationToken.None), CancellationToken.None)).Status,
                        null, CancellationToken.None);
                throw;
            }
            catch when (wasRunning)
            {
                // The root is as it was (an engine swaps a restored root in whole): it runs again. A start that fails says why in
                // the instance's status reason; the error that counts is the restore's.
                try
                {
                    await RunActionAsync(name, InstanceAction.Start, TimeSpan.Zero, force: false, CancellationToken.None);
                }
                catch (Exception again) when (again is not OperationCanceledException)
                {
                    // its reason is on the instance (start failed: …)
                }
                throw;
            }
            if (wasRunning && !found.Stateful)
                await RunActionAsync(name, InstanceAction.Start, TimeSpan.Zero, force: false, ct);
            if (found.Stateful && current.Status == InstanceStatus.Frozen) // the driver resumes the VM after the load
                await store.SetStatusAsync(name, InstanceStatus.Running, null, ct);
            events.Lifecycle("instance-snapshot-restored", SnapshotPath(name, found.Name));
        });
    }

    private static ConflictException EphemeralRestore(string name) =>
        new($"instance \"{name}\" is ephemeral: stopping it for the restore would delete it");

    /// <summary>Refuses to load a stateful snapshot's saved state into a machine whose vCPUs or devices are not those it was taken with.</summary>
    private static async Task CheckStateDevicesAsync(IInstanceDriver driver, InstanceContext context, Snapshot snapshot, CancellationToken cancellationToken)
    {
        if (snapshot.StateDevices is not { } then || await driver.StateDevicesAsync(context, cancellationToken) is not { } now)
            return;
        var gone = then.Except(now).ToList();
        var added = now.Except(then).ToList();
        if (gone.Count + added.Count == 0)
            return;
        var changes = string.Join(" and ", new[] { (gone, "then"), (added, "now") }.Where(c => c.Item1.Count > 0).Select(c => $"{string.Join(", ", c.Item1)} {c.Item2}"));
        throw new ConflictException($"snapshot \"{snapshot.Name}\" holds the memory of {context.Instance.Name} with the vCPUs and devices it had then, " +
            $"which differ ({changes}): put limits.cpu, volumes and nics back as they were, or restore a snapshot without memory");
    }

    /// <param name="expired">Whether the daemon deletes it because its expiry has come (said in the operation's description).</param>
    public async Task<Operation> DeleteSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken, bool expired = false)
    {
        var instance = await ReadyAsync(name, cancellationToken);
        var found = await GetSnapshotAsync(name, snapshot, cancellationToken);
        var driver = drivers.Get(instance.Type);
        return await OperateAsync(name, $"Deleting {(expired ? "expired " : "")}snapshot {found.Name} of instance {name}", [Path(name), SnapshotPath(name, found.Name)], mayCancel: false, async ct =>
        {
            await driver.DeleteSnapshotAsync(await ContextAsync(await GetAsync(name, ct), ct), found.Name, ct);
            await store.DeleteSnapshotAsync(name, found.Name, ct);
            events.Lifecycle("instance-snapshot-deleted", SnapshotPath(name, found.Name));
        });
    }

    /// <summary>The instance, when its engine is here and its creation has finished.</summary>
    private async Task<Instance> ReadyAsync(string name, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        drivers.Get(instance.Type);
        if (instance.StatusReason == Creating)
            throw new ConflictException($"instance \"{name}\" is still being created");
        return instance;
    }
}
