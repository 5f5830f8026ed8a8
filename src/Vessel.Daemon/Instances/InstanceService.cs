using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Validation;
using Vessel.Daemon.Events;
using Vessel.Daemon.Networks;
using Vessel.Daemon.Operations;
using Vessel.Storage;

namespace Vessel.Daemon.Instances;

/// <summary>
/// What can be done to instances, the same for every engine. The API hands typed requests here; this class
/// validates them, moves the lifecycle state machine in the store and asks the engine to act.
/// </summary>
public sealed partial class InstanceService(
    IStateStore store,
    DriverRegistry drivers,
    StoragePools pools,
    StorageVolumes volumes,
    ImageStore images,
    OperationManager operations,
    EventHub events,
    NetworkService networks,
    DaemonOptions options,
    TimeProvider time)
{
    /// <summary>Marks an instance whose creation has not finished; a daemon start removes such leftovers.</summary>
    private const string Creating = "creating";

    private readonly InstanceLocks _locks = new();

    public static string Path(string name) => $"/1.0/instances/{name}";

    public async Task<Instance> GetAsync(string name, CancellationToken cancellationToken) =>
        await store.GetInstanceAsync(name, cancellationToken) ?? throw new NotFoundException($"instance \"{name}\" not found");

    public async Task<Operation> CreateAsync(InstancesPost request, CancellationToken cancellationToken)
    {
        Names.ValidateLabel("name", request.Name);
        var copyOf = request.Source?.Instance is { } sourceName ? await GetAsync(sourceName, cancellationToken) : null;
        if (copyOf is not null)
            request = await CopyRequestAsync(request, copyOf, cancellationToken);
        var name = request.Name!;
        var config = request.Config ?? [];
        InstanceConfigSchema.Validate(config, request.Type, HostResources.Current);
        var devices = (request.Devices ?? []).ToDictionary(d => d.Key, d => (IReadOnlyDictionary<string, string>)d.Value);
        await AddDefaultNicAsync(devices, request.Network, cancellationToken);
        DeviceSchema.Validate(devices);
        var reference = request.Source?.Alias ?? request.Source?.Fingerprint
            ?? throw new BadRequestException("source: an image alias or fingerprint is required");
        var poolName = request.Pool ?? devices.GetValueOrDefault("root")?.GetValueOrDefault("pool") ?? "default";
        Names.ValidateLabel("pool", poolName);

        var driver = drivers.Get(request.Type);
        var image = await images.ResolveAsync(reference, request.Type, cancellationToken);
        CheckArchitecture(request.Type, image.Architecture, config);
        var pool = await pools.GetAsync(poolName, cancellationToken);
        CheckRootSize(request.Type, devices, pool);
        if (await store.GetInstanceAsync(name, cancellationToken) is not null)
            throw new ConflictException($"instance \"{name}\" already exists");

        await using var networkLock = await networks.LockAsync(cancellationToken);
        await volumes.CheckDevicesAsync(name, request.Type, devices, cancellationToken);
        config = InstanceIdentity.WithUuid(VncDisplay.WithPassword(await networks.AssignAsync(name, devices, config, cancellationToken)));
        var now = DateTimeOffset.UtcNow;
        var instance = new Instance
        {
            Name = name,
            Type = request.Type,
            Status = InstanceStatus.Stopped,
            StatusReason = Creating,
            Architecture = image.Architecture,
            Config = config,
            Devices = devices,
            Image = image.Fingerprint,
            Pool = pool.Name,
            Ephemeral = request.Ephemeral,
            CreatedAt = now,
            StatusChangedAt = now,
        };
        await store.CreateInstanceAsync(instance, cancellationToken);
        await networkLock.DisposeAsync();

        var verb = copyOf is not null ? "Copying" : request.Start ? "Launching" : "Creating";
        return await OperateAsync(name, $"{verb} instance {name}", [Path(name)], mayCancel: false, async ct =>
        {
            await using (var revert = new Reverter())
            {
                revert.Add(() => store.DeleteInstanceAsync(name, CancellationToken.None));
                var storage = pools.Driver(pool);
                var volume = VolumeOf(instance);
                await pools.WritingAsync(pool, () => storage.CreateVolumeAsync(pool, volume, ct));
                revert.Add(() => storage.DeleteVolumeAsync(pool, volume, CancellationToken.None));
                var context = Context(instance, pool, image);
                revert.Add(() => driver.DeleteAsync(context, CancellationToken.None));
                if (copyOf is not null)
                {
                    await using var sourceLock = await _locks.LockAsync(copyOf.Name, ct); // the copy is one moment of the source
                    var source = await ContextAsync(await GetAsync(copyOf.Name, ct), ct);
                    await pools.WritingAsync(pool, () => driver.CopyAsync(context, source, request.Source!.Snapshot, request.Source.Full, ct));
                }
                else
                    await pools.WritingAsync(pool, () => driver.CreateAsync(context, ct));
                if (DeviceSchema.RootSize(devices) is not null)
                    await pools.WritingAsync(pool, () => driver.ResizeRootAsync(context, ct));
                // A launch goes straight on to Starting: one write instead of Stopped and then Starting.
                await store.SetStatusAsync(name, request.Start ? InstanceStatus.Starting : InstanceStatus.Stopped, null, ct);
                await networks.RefreshAsync(NetworkService.NetworksOf(devices), ct);
                revert.Success();
            }
            events.Lifecycle("instance-created", Path(name));
            if (request.Start)
                await PerformAsync(name, InstanceAction.Start, TimeSpan.Zero, force: false, ct);
        });
    }

    /// <summary>
    /// Starts an operation on one instance whose body holds the instance's lock (<see cref="InstanceLocks"/>) throughout:
    /// it waits for the operations before it, and what it calls assumes the lock is held.
    /// </summary>
    private Task<Operation> OperateAsync(string name, string description, IReadOnlyList<string> resources, bool mayCancel,
        Func<CancellationToken, Task> work) =>
        operations.StartAsync(description, resources, mayCancel, async ct =>
        {
            await using var instanceLock = await _locks.LockAsync(name, ct);
            await work(ct);
        }, CancellationToken.None);

    public async Task<Operation> ChangeStateAsync(string name, InstanceStatePut request, CancellationToken cancellationToken)
    {
        var action = Lifecycle.ParseAction(request.Action ?? throw new BadRequestException("action: required (start, stop, restart, freeze, unfreeze)"));
        if (request.Timeout < -1)
            throw new BadRequestException($"timeout: {request.Timeout} is out of range; use -1 (wait forever) or 0 and up, in seconds");
        var instance = await GetAsync(name, cancellationToken);
        drivers.Get(instance.Type);
        if (instance.StatusReason == Creating)
            throw new ConflictException($"instance \"{name}\" is still being created");
        Lifecycle.Begin(name, instance.Status, action, request.Force); // refused at once when it cannot be; checked again under the lock
        var timeout = request.Timeout < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(request.Timeout);
        var title = char.ToUpperInvariant(Lifecycle.Verb(action)[0]) + Lifecycle.Verb(action)[1..];
        var description = $"{title}ing instance {name}";
        if (!Lifecycle.EndsActionUnderWay(instance.Status, action, request.Force))
            return await OperateAsync(name, description, [Path(name)], mayCancel: false, ct => RunActionAsync(name, action, timeout, request.Force, ct));
        // A forced stop of a start or stop that hangs ends it without waiting for the lock that operation holds, as long as
        // it is still under way when this one runs.
        return await operations.StartAsync(description, [Path(name)], mayCancel: false, async ct =>
        {
            if (Lifecycle.EndsActionUnderWay((await GetAsync(name, ct)).Status, action, request.Force))
            {
                await RunActionAsync(name, action, timeout, request.Force, ct, holdsLock: false);
                return;
            }
            await using var instanceLock = await _locks.LockAsync(name, ct);
            await RunActionAsync(name, action, timeout, request.Force, ct);
        }, CancellationToken.None);
    }

    /// <summary>Begins an action inside an operation that is already running (and holds the instance's lock, unless told).</summary>
    private async Task RunActionAsync(string name, InstanceAction action, TimeSpan timeout, bool force, CancellationToken cancellationToken,
        bool holdsLock = true)
    {
        var instance = await GetAsync(name, cancellationToken);
        var during = Lifecycle.Begin(name, instance.Status, action, force);
        if (!await store.TryTransitionAsync(name, instance.Status, during, null, cancellationToken))
            throw new ConflictException($"instance \"{name}\" changed state meanwhile; try again");
        await PerformAsync(name, action, timeout, force, cancellationToken, holdsLock);
    }

    /// <summary>
    /// Runs the engine's half of an action whose transitional status is already stored, and settles the status. An ephemeral
    /// instance that ends stopped goes, under the instance's lock (taken here when the caller does not hold it).
    /// </summary>
    private async Task PerformAsync(string name, InstanceAction action, TimeSpan timeout, bool force, CancellationToken cancellationToken,
        bool holdsLock = true)
    {
        var context = await WithDevicesAsync(await ContextAsync(await GetAsync(name, cancellationToken), cancellationToken), cancellationToken);
        var driver = drivers.Get(context.Instance.Type);
        try
        {
            switch (action)
            {
                case InstanceAction.Start:
                    driver.CheckStart(context);
                    if (context.Instance.Config.ContainsKey(ExportBaseKey)) // the disk changes from now on
                        await SetVolatileAsync(name, ExportBaseKey, null, cancellationToken);
                    await StartWithNicsAsync(driver, context, cancellationToken);
                    break;
                case InstanceAction.Stop:
                    await driver.StopAsync(context, timeout, force, cancellationToken);
                    await networks.UnplugAsync(context.Nics);
                    break;
                case InstanceAction.Restart:
                    await driver.StopAsync(context, timeout, force, cancellationToken);
                    await networks.UnplugAsync(context.Nics);
                    await store.SetStatusAsync(name, InstanceStatus.Starting, null, cancellationToken);
                    await StartWithNicsAsync(driver, context, cancellationToken);
                    break;
                case InstanceAction.Freeze:
                    await driver.FreezeAsync(context, cancellationToken);
                    break;
                case InstanceAction.Unfreeze:
                    await driver.UnfreezeAsync(context, cancellationToken);
                    break;
            }
        }
        catch (Exception e)
        {
            // Settle in what really runs; the reason keeps what went wrong.
            var actual = await ActualStatusAsync(driver, context);
            await store.SetStatusAsync(name, actual, $"{Lifecycle.Verb(action)} failed: {e.Message}", CancellationToken.None);
            throw;
        }
        var settled = Lifecycle.Settled(action);
        await store.SetStatusAsync(name, settled, null, CancellationToken.None);
        events.Lifecycle($"instance-{Past(action)}", Path(name));
        if (settled != InstanceStatus.Stopped || !context.Instance.Ephemeral)
            return;
        if (holdsLock)
        {
            await RemoveAsync(context, driver, CancellationToken.None);
            return;
        }
        await using var instanceLock = await _locks.LockAsync(name, CancellationToken.None);
        if (await store.GetInstanceAsync(name, CancellationToken.None) is { Status: InstanceStatus.Stopped } now) // as it is after the wait
            await RemoveAsync(await ContextAsync(now, CancellationToken.None), driver, CancellationToken.None);
    }

    /// <summary>Starts the instance with the host ends of its nics in place; a failed start leaves none.</summary>
    private async Task StartWithNicsAsync(IInstanceDriver driver, InstanceContext context, CancellationToken cancellationToken)
    {
        await networks.PlugAsync(context.Nics, context.Instance.Type, cancellationToken);
        var started = false;
        try
        {
            await driver.StartAsync(context, cancellationToken);
            started = true;
            await networks.LimitAsync(context.Nics, cancellationToken);
        }
        catch
        {
            if (started) // an instance whose nics are taken away must not go on running without them
                await driver.StopAsync(context, TimeSpan.Zero, force: true, CancellationToken.None);
            await networks.UnplugAsync(context.Nics);
            throw;
        }
    }

    /// <summary>
    /// A copy is the source's type, image, config and devices, with the request's config and devices on top. What
    /// makes the source itself on a network goes: volatile keys and the nics' own MAC and address, so the copy gets new ones.
    /// The block volumes the source holds stay with it (one serves one VM at a time; a copy, like a snapshot or export,
    /// leaves custom volumes' data alone); filesystem volumes, which containers share, come along.
    /// </summary>
    private async Task<InstancesPost> CopyRequestAsync(InstancesPost request, Instance source, CancellationToken cancellationToken)
    {
        if (source.StatusReason == Creating)
            throw new ConflictException($"instance \"{source.Name}\" is still being created");
        var snapshot = request.Source!.Snapshot is { } wanted ? (await GetSnapshotAsync(source.Name, wanted, cancellationToken)).Name : null;
        var config = source.Config.Where(c => !c.Key.StartsWith(InstanceConfigSchema.VolatilePrefix, StringComparison.Ordinal)).ToDictionary();
        foreach (var (key, value) in request.Config ?? [])
            config[key] = value;
        var devices = source.Devices.ToDictionary(d => d.Key, d => d.Value.GetValueOrDefault("type") == "nic"
            ? d.Value.Where(s => s.Key is not ("hwaddr" or "ipv4.address")).ToDictionary()
            : d.Value.ToDictionary());
        foreach (var device in await volumes.BlockVolumeDevicesAsync(source.Devices, cancellationToken))
            devices.Remove(device);
        foreach (var (device, settings) in request.Devices ?? [])
            devices[device] = settings;
        return request with
        {
            Type = source.Type,
            Source = request.Source with { Snapshot = snapshot, Fingerprint = source.Image ?? throw new BadRequestException($"instance \"{source.Name}\" has no image to copy from") },
            Config = config,
            Devices = devices,
            Network = "none", // the source's nics come along
            Pool = request.Pool ?? source.Pool, // as in Incus: on the source's pool unless told otherwise
        };
    }

    /// <summary>A request without a nic gets eth0 on the network it names, or on vsbr0 when it names none and vsbr0 exists.</summary>
    private async Task AddDefaultNicAsync(Dictionary<string, IReadOnlyDictionary<string, string>> devices, string? network, CancellationToken cancellationToken)
    {
        if (network == "none" || devices.Values.Any(d => d.GetValueOrDefault("type") == "nic"))
            return;
        if (network is null)
        {
            if (await store.GetNetworkAsync(NetworkService.DefaultNetwork, cancellationToken) is null)
                return;
            network = NetworkService.DefaultNetwork;
        }
        Names.ValidateNetworkName("network", network);
        if (devices.ContainsKey("eth0"))
            throw new BadRequestException("network: devices.eth0 exists already and is not a nic; add the nic as a device instead");
        devices["eth0"] = new Dictionary<string, string> { ["type"] = "nic", ["network"] = network };
    }

    private static async Task<InstanceStatus> ActualStatusAsync(IInstanceDriver driver, InstanceContext context)
    {
        try
        {
            return (await driver.GetStateAsync(context, CancellationToken.None)).Status;
        }
        catch
        {
            return InstanceStatus.Error;
        }
    }

    private static string Past(InstanceAction action) => action switch
    {
        InstanceAction.Start => "started",
        InstanceAction.Stop => "stopped",
        InstanceAction.Restart => "restarted",
        InstanceAction.Freeze => "paused",
        InstanceAction.Unfreeze => "resumed",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public async Task<Operation> DeleteAsync(string name, bool force, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        var driver = drivers.Get(instance.Type);
        Lifecycle.CheckDelete(name, instance.Status, force);
        if (instance.StatusReason == Creating)
            throw new ConflictException($"instance \"{name}\" is still being created");
        return await OperateAsync(name, $"Deleting instance {name}", [Path(name)], mayCancel: false, async ct =>
        {
            var current = await GetAsync(name, ct);
            Lifecycle.CheckDelete(name, current.Status, force); // again: an operation before it may have started it
            var context = await ContextAsync(current, ct);
            var status = (await driver.GetStateAsync(context, ct)).Status;
            if (status is not (InstanceStatus.Stopped or InstanceStatus.Error))
                await driver.StopAsync(context, TimeSpan.Zero, force: true, ct);
            await RemoveAsync(context, driver, ct);
        });
    }

    /// <summary>Removes what the engine made, the root volume and the record; without an engine, the latter two.</summary>
    private async Task RemoveAsync(InstanceContext context, IInstanceDriver? driver, CancellationToken cancellationToken)
    {
        var instance = context.Instance;
        if (driver is not null)
            await driver.DeleteAsync(context, cancellationToken);
        var pool = await pools.GetAsync(instance.Pool, cancellationToken);
        await networks.UnplugAsync((await WithNicsAsync(context, cancellationToken)).Nics);
        await pools.Driver(pool).DeleteVolumeAsync(pool, VolumeOf(instance), cancellationToken);
        await store.DeleteInstanceAsync(instance.Name, cancellationToken);
        await networks.RefreshAsync(NetworkService.NetworksOf(instance.Devices), cancellationToken);
        events.Lifecycle("instance-deleted", Path(instance.Name));
    }

    public async Task<Instance> UpdateAsync(string name, InstancePatch patch, CancellationToken cancellationToken)
    {
        // Held from the read to the write: the instance's, so that no operation on it runs meanwhile (its devices and root
        // may change here), then that of instance writes, so that two changes of instances cannot undo each other.
        await using var instanceLock = await _locks.LockAsync(name, cancellationToken);
        await using var networkLock = await networks.LockAsync(cancellationToken);
        var instance = await GetAsync(name, cancellationToken);
        var config = new Dictionary<string, string>(instance.Config);
        foreach (var (key, value) in patch.Config ?? [])
        {
            if (value is null)
            {
                if (key.StartsWith(InstanceConfigSchema.VolatilePrefix, StringComparison.Ordinal))
                    throw new BadRequestException($"{key}: volatile.* keys are set by Vessel itself and cannot be unset");
                if (!config.Remove(key))
                    throw new BadRequestException($"{key}: not set on instance \"{name}\"");
                continue;
            }
            InstanceConfigSchema.ValidateKey(key, value, instance.Type, HostResources.Current);
            if (key == "security.privileged" && value != instance.Config.GetValueOrDefault(key, "false"))
                throw new NotSupportedYetException(
                    "security.privileged cannot change after creation yet: the root filesystem's ownership would have to be shifted");
            config[key] = value;
        }
        CloudInit.CheckSshKeysWithUserData(config);
        config = VncDisplay.WithPassword(config);
        var devices = new Dictionary<string, IReadOnlyDictionary<string, string>>(instance.Devices);
        foreach (var (device, value) in patch.Devices ?? [])
        {
            if (value is null)
            {
                if (!devices.Remove(device))
                    throw new BadRequestException($"devices.{device}: no such device on instance \"{name}\"");
            }
            else
            {
                devices[device] = value;
            }
        }
        CheckArchitecture(instance.Type, instance.Architecture, config);
        DeviceSchema.Validate(devices);
        CheckNoneReplaced(instance, patch.Devices);
        CheckRootSize(instance.Type, devices, await pools.GetAsync(instance.Pool, cancellationToken));
        await volumes.CheckDevicesAsync(name, instance.Type, devices, cancellationToken);
        var changedDevices = devices.Keys.Union(instance.Devices.Keys)
            .Where(d => !SameSettings(instance.Devices.GetValueOrDefault(d), devices.GetValueOrDefault(d))).ToList();
        var devicesChanged = changedDevices.Count > 0;
        // A root disk whose size alone changed is resized in place, running or not.
        var rootResized = changedDevices.Where(d => OnlyRootSizeDiffers(instance, instance.Devices.GetValueOrDefault(d), devices.GetValueOrDefault(d))).ToList();
        changedDevices = [.. changedDevices.Except(rootResized)];
        var hotplug = changedDevices.Count > 0 && instance.Status != InstanceStatus.Stopped;
        if (hotplug && (instance.Status != InstanceStatus.Running ||
                        changedDevices.Any(d => !Pluggable(instance.Devices.GetValueOrDefault(d), devices.GetValueOrDefault(d)))))
            throw new NotSupportedYetException("of a running instance's devices only nics and custom volumes can be added or removed yet; stop it for other changes");

        if (devicesChanged)
            config = await networks.AssignAsync(name, devices, config, cancellationToken);
        var updated = instance with { Config = config, Devices = devices };
        if (instance.Status is InstanceStatus.Running or InstanceStatus.Frozen)
        {
            var driver = drivers.Get(instance.Type);
            var context = await ContextAsync(updated, cancellationToken);
            await driver.ApplyConfigAsync(context, instance.Config, cancellationToken);
            if (hotplug)
                await HotplugAsync(driver, await WithDevicesAsync(await ContextAsync(instance, cancellationToken), cancellationToken),
                    await WithDevicesAsync(context, cancellationToken), changedDevices, cancellationToken);
        }
        if (rootResized.Count > 0)
        {
            var pool = await pools.GetAsync(instance.Pool, cancellationToken);
            var context = await ContextAsync(updated, cancellationToken);
            await pools.WritingAsync(pool, () => drivers.Get(instance.Type).ResizeRootAsync(context, cancellationToken));
        }
        await store.UpdateInstanceConfigAsync(name, config, devices, cancellationToken);
        await networkLock.DisposeAsync();
        if (devicesChanged)
            await networks.RefreshAsync(NetworkService.NetworksOf(instance.Devices).Concat(NetworkService.NetworksOf(devices)), cancellationToken);
        events.Lifecycle("instance-updated", Path(name));
        return updated;
    }

    private static bool IsNic(IReadOnlyDictionary<string, string>? device) => device?.GetValueOrDefault("type") == "nic";

    /// <summary>
    /// A change may set a device's settings, not put another device in its place: a volume attached under the name of a
    /// nic, the root disk or another volume would silently take its place.
    /// </summary>
    private static void CheckNoneReplaced(Instance instance, Dictionary<string, Dictionary<string, string>?>? changes)
    {
        foreach (var (device, after) in changes ?? [])
        {
            if (after is not null && instance.Devices.GetValueOrDefault(device) is { } before &&
                !string.Equals(WhatDeviceIs(before), WhatDeviceIs(after), StringComparison.OrdinalIgnoreCase))
                throw new ConflictException($"devices.{device}: instance \"{instance.Name}\" has a device named {device} already ({WhatDeviceIs(before)}); " +
                    "remove it first or use another device name");
        }
    }

    private static string WhatDeviceIs(IReadOnlyDictionary<string, string> device) =>
        DeviceSchema.IsRoot(device) ? "its root disk"
        : StorageVolumes.IsVolumeDevice(device) ? $"storage volume \"{device["source"]}\" of pool \"{device["pool"]}\""
        : $"a {device.GetValueOrDefault("type")}";

    /// <summary>A change a running instance can take: a nic or a custom volume added or removed (not changed in place).</summary>
    private static bool Pluggable(IReadOnlyDictionary<string, string>? before, IReadOnlyDictionary<string, string>? after) =>
        (before is null) != (after is null) && (before ?? after) is var device && (IsNic(device) || StorageVolumes.IsVolumeDevice(device));

    /// <summary>
    /// Whether a change is the root disk's size alone. An instance without a root device has one implicitly, on its pool,
    /// so adding one that says only a size (or removing it) counts too.
    /// </summary>
    private static bool OnlyRootSizeDiffers(Instance instance, IReadOnlyDictionary<string, string>? before, IReadOnlyDictionary<string, string>? after)
    {
        if (!DeviceSchema.IsRoot(before) && !DeviceSchema.IsRoot(after))
            return false;
        Dictionary<string, string> WithoutSize(IReadOnlyDictionary<string, string>? device)
        {
            var settings = (device ?? new Dictionary<string, string> { ["type"] = "disk", ["path"] = "/" }).Where(p => p.Key != "size").ToDictionary();
            settings.TryAdd("pool", instance.Pool);
            return settings;
        }
        return SameSettings(WithoutSize(before), WithoutSize(after));
    }

    private static bool SameSettings(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        a is not null && b is not null && a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <summary>
    /// Removes the dropped nics and volumes from the running instance, then adds the new ones; a failed addition takes back
    /// what it plugged, so that nothing runs that the stored record does not name.
    /// </summary>
    private async Task HotplugAsync(IInstanceDriver driver, InstanceContext before, InstanceContext after, IReadOnlyList<string> changed,
        CancellationToken cancellationToken)
    {
        foreach (var disk in before.Disks.Where(d => changed.Contains(d.Device)))
            await driver.DetachDiskAsync(before, disk, cancellationToken);
        foreach (var nic in before.Nics.Where(n => changed.Contains(n.Device)))
        {
            await driver.DetachNicAsync(before, nic, cancellationToken);
            await networks.UnplugAsync([nic]);
        }
        await using var revert = new Reverter();
        foreach (var nic in after.Nics.Where(n => changed.Contains(n.Device)))
        {
            await networks.PlugAsync([nic], after.Instance.Type, cancellationToken);
            revert.Add(() => networks.UnplugAsync([nic]));
            await driver.AttachNicAsync(after, nic, cancellationToken);
            revert.Add(() => driver.DetachNicAsync(after, nic, CancellationToken.None));
            await networks.LimitAsync([nic], cancellationToken);
        }
        foreach (var disk in after.Disks.Where(d => changed.Contains(d.Device)))
        {
            await driver.AttachDiskAsync(after, disk, cancellationToken);
            revert.Add(() => driver.DetachDiskAsync(after, disk, CancellationToken.None));
        }
        revert.Success();
    }

    /// <summary>A VM's machine type must fit its architecture; a container runs only the host's (no binary translation).</summary>
    private static void CheckArchitecture(InstanceType type, string architecture, IReadOnlyDictionary<string, string> config)
    {
        if (type == InstanceType.VirtualMachine)
            MachineTypes.Check(architecture, ImageStore.HostArchitecture, config);
        else if (architecture != ImageStore.HostArchitecture)
            throw new BadRequestException($"the image is for {architecture}; containers run only this host's architecture ({ImageStore.HostArchitecture}): " +
                "launch a virtual-machine image of it with --vm");
    }

    /// <summary>
    /// A root disk size is a VM's disk size, or a quota on a container's root, which only a pool with subvolumes (btrfs
    /// qgroups) keeps.
    /// </summary>
    private void CheckRootSize(InstanceType type, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices, StoragePool pool)
    {
        foreach (var (name, _) in devices.Where(d => DeviceSchema.IsRoot(d.Value) && d.Value.ContainsKey("size")))
        {
            if (type == InstanceType.VirtualMachine && DeviceSchema.RootSize(devices) % 512 != 0)
                throw new BadRequestException($"devices.{name}.size: a disk's size is a whole number of 512-byte sectors");
            if (type == InstanceType.Container && pools.Subvolumes(pool) is null)
                throw new NotSupportedYetException($"devices.{name}.size: storage pool \"{pool.Name}\" ({pool.Driver}) has no quotas; a btrfs pool has");
        }
    }

    /// <summary>One instance's state with its usage, disk usage too (which a list leaves out: it may walk a tree), also when it is stopped.</summary>
    public async Task<InstanceStateView> GetStateAsync(string name, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        var state = await StateOfAsync(instance, cancellationToken);
        if (drivers.Find(instance.Type) is not { } driver)
            return state;
        var disk = await Vessel.Linux.DiskUsage.OrNoneAsync(async () => await driver.GetDiskUsageAsync(await ContextAsync(instance, cancellationToken), cancellationToken));
        return disk is null ? state : state with { Usage = (state.Usage ?? new InstanceUsage()) with { DiskBytes = disk } };
    }

    /// <summary>Every instance with its state; the engines are asked only about the ones that run.</summary>
    public async Task<List<InstanceWithState>> ListWithStateAsync(CancellationToken cancellationToken)
    {
        var list = new List<InstanceWithState>();
        foreach (var instance in await store.ListInstancesAsync(cancellationToken))
        {
            InstanceStateView state;
            try
            {
                state = instance.Status is InstanceStatus.Running or InstanceStatus.Frozen
                    ? await StateOfAsync(instance, cancellationToken)
                    : new InstanceStateView(instance.Status, instance.StatusReason, null, null, null);
            }
            catch (Exception e) when (e is VesselException or TimeoutException or IOException)
            {
                // One instance that does not answer (a stuck monitor, a delete under way) leaves the others' list whole.
                state = new InstanceStateView(instance.Status, instance.StatusReason, null, null, e.Message);
            }
            list.Add(new InstanceWithState(instance, state));
        }
        return list;
    }

    private async Task<InstanceStateView> StateOfAsync(Instance instance, CancellationToken cancellationToken)
    {
        var driver = drivers.Find(instance.Type);
        if (driver is null)
            return new InstanceStateView(instance.Status, instance.StatusReason, null, null, drivers.Engines.First(e => e.Type == instance.Type.Name()).Detail);
        var state = await driver.GetStateAsync(await ContextAsync(instance, cancellationToken), cancellationToken);
        return new InstanceStateView(instance.Status, instance.StatusReason, state.Pid, state.Usage, null, state.Machine, state.VncAddress);
    }

    public async Task<IExecSession> ExecAsync(string name, ExecRequest request, CancellationToken cancellationToken)
    {
        var (driver, context) = await RunningAsync(name, "exec in", cancellationToken);
        return await driver.ExecAsync(context, request, cancellationToken);
    }

    /// <summary>The engine and context of an instance that has to be running for what is asked ("cannot VERB instance …").</summary>
    private async Task<(IInstanceDriver Driver, InstanceContext Context)> RunningAsync(string name, string verb, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        var driver = drivers.Get(instance.Type);
        if (instance.Status != InstanceStatus.Running)
            throw new ConflictException($"cannot {verb} instance \"{name}\": it is {instance.Status}");
        return (driver, await ContextAsync(instance, cancellationToken));
    }

    public async Task<Stream> AttachConsoleAsync(string name, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        return await drivers.Get(instance.Type).AttachConsoleAsync(await ContextAsync(instance, cancellationToken), cancellationToken);
    }

    public async Task ResizeConsoleAsync(string name, int columns, int rows, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        await drivers.Get(instance.Type).ResizeConsoleAsync(await ContextAsync(instance, cancellationToken), columns, rows, cancellationToken);
    }

    public async Task<Stream> AttachDisplayAsync(string name, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        return await drivers.Get(instance.Type).AttachDisplayAsync(await ContextAsync(instance, cancellationToken), cancellationToken);
    }

    public async Task<string> ReadConsoleLogAsync(string name, CancellationToken cancellationToken)
    {
        var instance = await GetAsync(name, cancellationToken);
        return await drivers.Get(instance.Type).ReadConsoleLogAsync(await ContextAsync(instance, cancellationToken), cancellationToken);
    }

    private static VolumeRef VolumeOf(Instance instance) =>
        new(instance.Type == InstanceType.Container ? VolumeKind.Container : VolumeKind.VirtualMachine, instance.Name);

    private InstanceContext Context(Instance instance, StoragePool pool, Image? image) => new(
        instance,
        pools.Driver(pool).VolumePath(pool, VolumeOf(instance)),
        options.InstanceRunDirectory(instance.Name),
        options.LogDirectory,
        image is null ? null : images.ImagePath(image))
    {
        Subvolumes = pools.Subvolumes(pool),
    };

    private async Task<InstanceContext> ContextAsync(Instance instance, CancellationToken cancellationToken)
    {
        var pool = await pools.GetAsync(instance.Pool, cancellationToken);
        var image = instance.Image is null ? null : await store.GetImageAsync(instance.Image, cancellationToken);
        return Context(instance, pool, image);
    }

    /// <summary>The context with the instance's nics, which starts, stops and nic changes need (the store is read for them).</summary>
    private async Task<InstanceContext> WithNicsAsync(InstanceContext context, CancellationToken cancellationToken) =>
        context with { Nics = await networks.AttachmentsAsync(context.Instance, cancellationToken) };

    /// <summary>The context with the instance's nics and custom volumes, which starts and device changes need.</summary>
    private async Task<InstanceContext> WithDevicesAsync(InstanceContext context, CancellationToken cancellationToken) =>
        await WithNicsAsync(context, cancellationToken) with { Disks = await volumes.DisksAsync(context.Instance, cancellationToken) };
}
