using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Core.Validation;
using Vessel.Daemon.Networks;
using Vessel.Linux;

namespace Vessel.Daemon.Instances;

/// <summary>
/// Custom volumes: the store's record plus the pool driver's volume. A filesystem volume is the volume's directory; a block
/// volume is a sparse raw disk file inside it. Instances attach them through disk devices (pool=POOL source=NAME).
/// </summary>
public sealed class StorageVolumes(IStateStore store, StoragePools pools, NetworkService networks)
{
    public const string DefaultBlockSize = "10GiB";
    private const string RawDisk = "disk.raw";
    /// <summary>Where a volume cannot be mounted inside a container: the kernel's and the runtime's own trees.</summary>
    private static readonly string[] ReservedPaths = ["/proc", "/sys", "/dev", "/run"];

    public static string Path(string pool, string name) => $"/1.0/storage-pools/{pool}/volumes/custom/{name}";

    public async Task<StorageVolume> GetAsync(string pool, string name, CancellationToken cancellationToken)
    {
        await pools.GetAsync(pool, cancellationToken);
        return await store.GetVolumeAsync(pool, name, cancellationToken)
            ?? throw new NotFoundException($"storage volume \"{name}\" not found in storage pool \"{pool}\"");
    }

    public async Task<List<StorageVolumeView>> ListAsync(string pool, CancellationToken cancellationToken)
    {
        await pools.GetAsync(pool, cancellationToken);
        var instances = await store.ListInstancesAsync(cancellationToken);
        return [.. (await store.ListVolumesAsync(pool, cancellationToken)).Select(v => View(v, instances))];
    }

    public async Task<StorageVolumeView> ViewAsync(StorageVolume volume, CancellationToken cancellationToken) =>
        View(volume, await store.ListInstancesAsync(cancellationToken));

    /// <summary>
    /// The volume with what it occupies in its pool: a block volume's allocated blocks; a filesystem volume's qgroup exclusive
    /// bytes on btrfs (none without quotas there), du -s -x of its tree on a dir pool (a walk, which a list does not make).
    /// </summary>
    public async Task<StorageVolumeView> ViewWithUsageAsync(StorageVolume volume, CancellationToken cancellationToken)
    {
        var view = await ViewAsync(volume, cancellationToken);
        var pool = await pools.GetAsync(volume.Pool, cancellationToken);
        var directory = await DirectoryAsync(volume, cancellationToken);
        return view with
        {
            UsedBytes = await DiskUsage.OrNoneAsync(async () =>
                volume.ContentType == StorageVolume.Block ? DiskUsage.OfFile(System.IO.Path.Combine(directory, RawDisk))
                : pools.Subvolumes(pool) is { } subvolumes ? await subvolumes.ExclusiveBytesAsync(directory, cancellationToken)
                : await DiskUsage.OfTreeAsync(directory, cancellationToken)),
        };
    }

    private static StorageVolumeView View(StorageVolume volume, IEnumerable<Instance> instances) =>
        new(volume, [.. instances.Where(i => Attaches(i.Devices, volume).Any()).Select(i => InstanceService.Path(i.Name))]);

    /// <summary>The names of the devices that attach the volume.</summary>
    private static IEnumerable<string> Attaches(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices, StorageVolume volume) =>
        devices.Where(d => d.Value.GetValueOrDefault("type") == "disk" &&
                           string.Equals(d.Value.GetValueOrDefault("pool"), volume.Pool, StringComparison.OrdinalIgnoreCase) &&
                           string.Equals(d.Value.GetValueOrDefault("source"), volume.Name, StringComparison.OrdinalIgnoreCase))
            .Select(d => d.Key);

    public async Task<StorageVolume> CreateAsync(string poolName, StorageVolumePost request, CancellationToken cancellationToken)
    {
        Names.ValidateLabel("name", request.Name);
        var contentType = request.ContentType ?? StorageVolume.Filesystem;
        if (contentType is not (StorageVolume.Filesystem or StorageVolume.Block))
            throw new BadRequestException($"content_type: \"{contentType}\" is not filesystem or block");
        var config = new Dictionary<string, string>(request.Config ?? []);
        foreach (var key in config.Keys.Where(k => k != "size"))
            throw new BadRequestException($"config.{key}: unknown volume key (known: size)");
        var pool = await pools.GetAsync(poolName, cancellationToken);
        if (contentType == StorageVolume.Block)
            CheckSize(config["size"] = config.GetValueOrDefault("size", DefaultBlockSize));
        else if (config.TryGetValue("size", out var quota))
            QuotaOf(pool, quota);
        // Under the lock of instance writes, which a pool's delete holds too: no volume comes into a pool while it goes, and
        // of two creates of one name the second finds the first's record.
        await using var writesLock = await networks.LockAsync(cancellationToken);
        pool = await pools.GetAsync(poolName, cancellationToken);
        if (await store.GetVolumeAsync(pool.Name, request.Name!, cancellationToken) is not null)
            throw new ConflictException($"storage volume \"{request.Name}\" already exists in storage pool \"{pool.Name}\"");
        var volume = new StorageVolume
        {
            Pool = pool.Name, Name = request.Name!, ContentType = contentType, Config = config,
            Description = request.Description ?? "", CreatedAt = DateTimeOffset.UtcNow,
        };

        var driver = pools.Driver(pool);
        var reference = new VolumeRef(VolumeKind.Custom, volume.Name);
        await using var revert = new Reverter();
        var directory = await pools.WritingAsync(pool, () => driver.CreateVolumeAsync(pool, reference, cancellationToken));
        revert.Add(() => driver.DeleteVolumeAsync(pool, reference, CancellationToken.None));
        if (contentType == StorageVolume.Block)
            Resize(System.IO.Path.Combine(directory, RawDisk), Sizes.Parse("size", config["size"]));
        else if (config.TryGetValue("size", out var limit))
            await QuotaOf(pool, limit).SetQuotaAsync(directory, Sizes.Parse("size", limit), cancellationToken);
        await store.CreateVolumeAsync(volume, cancellationToken);
        revert.Success();
        return volume;
    }

    /// <summary>Sets the description and config; a block volume's size only grows, and only while no running VM has it.</summary>
    public async Task<StorageVolume> UpdateAsync(string poolName, string name, StorageVolumePatch patch, CancellationToken cancellationToken)
    {
        var volume = await GetAsync(poolName, name, cancellationToken);
        var config = new Dictionary<string, string>(volume.Config);
        foreach (var (key, value) in patch.Config ?? [])
        {
            if (key != "size")
                throw new BadRequestException($"config.{key}: unknown volume key (known: size)");
            if (volume.ContentType != StorageVolume.Block)
            {
                // A filesystem volume's size is a quota, set or lifted at once, also while containers use it.
                var pool = await pools.GetAsync(volume.Pool, cancellationToken);
                await QuotaOf(pool, value ?? "").SetQuotaAsync(await DirectoryAsync(volume, cancellationToken),
                    value is null ? null : Sizes.Parse("config.size", value), cancellationToken);
                if (value is null)
                    config.Remove(key);
                else
                    config[key] = value;
                continue;
            }
            if (value is null)
                throw new BadRequestException("config.size: a block volume always has a size");
            var size = CheckSize(value);
            var current = Sizes.Parse("size", volume.Config["size"]);
            if (size < current)
                throw new BadRequestException($"config.size: {value} is smaller than the volume ({volume.Config["size"]}); shrinking would cut off its data");
            if (size > current)
            {
                var users = (await store.ListInstancesAsync(cancellationToken))
                    .Where(i => i.Status != InstanceStatus.Stopped && Attaches(i.Devices, volume).Any()).Select(i => i.Name).ToList();
                if (users.Count > 0)
                    throw new ConflictException($"storage volume \"{name}\" is in use by running instance(s) {string.Join(", ", users)}; stop them to grow it");
                Resize(await DiskFileAsync(volume, cancellationToken), size);
            }
            config["size"] = value;
        }
        var updated = volume with { Config = config, Description = patch.Description ?? volume.Description };
        await store.UpdateVolumeAsync(updated, cancellationToken);
        return updated;
    }

    /// <summary>
    /// Deletes the volume's data, and its record only once that worked: a failure leaves the volume listed, to delete again.
    /// Under the lock every change of instances' devices holds from its checks to its write, so that no device names the
    /// volume meanwhile.
    /// </summary>
    public async Task DeleteAsync(string poolName, string name, CancellationToken cancellationToken)
    {
        await using var devicesLock = await networks.LockAsync(cancellationToken);
        var volume = await GetAsync(poolName, name, cancellationToken);
        var pool = await pools.GetAsync(volume.Pool, cancellationToken);
        var users = await UsersAsync(volume, cancellationToken);
        if (users.Count > 0)
            throw new ConflictException($"storage volume \"{volume.Name}\" is attached to instance(s) {string.Join(", ", users)}; detach it first");
        try
        {
            await pools.Driver(pool).DeleteVolumeAsync(pool, new VolumeRef(VolumeKind.Custom, volume.Name), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ConflictException($"storage volume \"{volume.Name}\" is kept: deleting its data failed: {e.Message}");
        }
        await store.DeleteVolumeAsync(volume.Pool, volume.Name, cancellationToken);
    }

    /// <summary>The names of the instances that attach the volume.</summary>
    private async Task<List<string>> UsersAsync(StorageVolume volume, CancellationToken cancellationToken) =>
        [.. (await store.ListInstancesAsync(cancellationToken)).Where(i => Attaches(i.Devices, volume).Any()).Select(i => i.Name)];

    /// <summary>
    /// Checks an instance's custom-volume disks against their volumes: each exists and suits the instance's type, a
    /// filesystem volume has a mount path a container may use, one volume is attached once, and a block volume (a disk
    /// that only one guest may write) to no other instance. Call it holding the lock of instance writes
    /// (<see cref="NetworkService.LockAsync"/>) until the devices are stored, or two instances could take one block volume.
    /// </summary>
    public async Task CheckDevicesAsync(string instance, InstanceType type,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<(string, string), string>();
        foreach (var (device, settings) in VolumeDevices(devices))
        {
            var volume = await store.GetVolumeAsync(settings["pool"], settings["source"], cancellationToken)
                ?? throw new NotFoundException($"devices.{device}.source: storage volume \"{settings["source"]}\" not found in storage pool \"{settings["pool"]}\"");
            if (!seen.TryAdd((volume.Pool.ToLowerInvariant(), volume.Name.ToLowerInvariant()), device))
                throw new ConflictException($"devices.{device}: storage volume \"{volume.Name}\" is attached already as {seen[(volume.Pool.ToLowerInvariant(), volume.Name.ToLowerInvariant())]}");
            if (volume.ContentType == StorageVolume.Block)
            {
                if (type != InstanceType.VirtualMachine)
                    throw new BadRequestException($"devices.{device}: \"{volume.Name}\" is a block volume; block volumes attach to virtual machines only");
                var others = (await UsersAsync(volume, cancellationToken)).Where(i => !string.Equals(i, instance, StringComparison.OrdinalIgnoreCase)).ToList();
                if (others.Count > 0)
                    throw new ConflictException($"devices.{device}: block volume \"{volume.Name}\" is attached to instance {others[0]}; detach it there first");
            }
            else
            {
                if (type != InstanceType.Container)
                    throw new NotSupportedYetException($"devices.{device}: \"{volume.Name}\" is a filesystem volume; virtual machines take block volumes only yet " +
                        "(vessel storage volume create POOL NAME --type block)");
                CheckMountPath($"devices.{device}.path", settings.GetValueOrDefault("path"));
            }
        }
    }

    private static void CheckMountPath(string field, string? path)
    {
        if (path is null)
            throw new BadRequestException($"{field}: a filesystem volume needs the path it is mounted at inside the container");
        if (path.Split('/').Any(part => part is "." or "..") || path.Contains("//", StringComparison.Ordinal) || path.EndsWith('/'))
            throw new BadRequestException($"{field}: \"{path}\" has ., .., // or a trailing / in it; give the path plainly");
        if (ReservedPaths.Any(r => path == r || path.StartsWith(r + "/", StringComparison.Ordinal)))
            throw new BadRequestException($"{field}: \"{path}\" is under {string.Join(", ", ReservedPaths)}, which the container's runtime mounts itself");
    }

    /// <summary>The instance's custom volumes as the engines take them, in device-name order.</summary>
    public async Task<IReadOnlyList<DiskAttachment>> DisksAsync(Instance instance, CancellationToken cancellationToken)
    {
        var disks = new List<DiskAttachment>();
        foreach (var (device, settings) in VolumeDevices(instance.Devices).OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var volume = await GetAsync(settings["pool"], settings["source"], cancellationToken);
            var block = volume.ContentType == StorageVolume.Block;
            disks.Add(new DiskAttachment(device, block ? await DiskFileAsync(volume, cancellationToken) : await DirectoryAsync(volume, cancellationToken),
                block, block ? null : settings.GetValueOrDefault("path"), settings.GetValueOrDefault("readonly") == "true"));
        }
        return disks;
    }

    /// <summary>The devices that attach a block volume, which serves one VM at a time.</summary>
    public async Task<IReadOnlyList<string>> BlockVolumeDevicesAsync(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices,
        CancellationToken cancellationToken)
    {
        var found = new List<string>();
        foreach (var (device, settings) in VolumeDevices(devices))
        {
            if ((await store.GetVolumeAsync(settings["pool"], settings["source"], cancellationToken))?.ContentType == StorageVolume.Block)
                found.Add(device);
        }
        return found;
    }

    public static bool IsVolumeDevice(IReadOnlyDictionary<string, string>? device) =>
        device?.GetValueOrDefault("type") == "disk" && device.ContainsKey("source") && device.ContainsKey("pool");

    private static IEnumerable<KeyValuePair<string, IReadOnlyDictionary<string, string>>> VolumeDevices(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> devices) => devices.Where(d => IsVolumeDevice(d.Value));

    private async Task<string> DirectoryAsync(StorageVolume volume, CancellationToken cancellationToken)
    {
        var pool = await pools.GetAsync(volume.Pool, cancellationToken);
        return pools.Driver(pool).VolumePath(pool, new VolumeRef(VolumeKind.Custom, volume.Name));
    }

    private async Task<string> DiskFileAsync(StorageVolume volume, CancellationToken cancellationToken) =>
        System.IO.Path.Combine(await DirectoryAsync(volume, cancellationToken), RawDisk);

    /// <summary>Where a filesystem volume's size is kept: the pool's subvolume quotas (btrfs qgroups); a dir pool has none.</summary>
    private ISubvolumes QuotaOf(StoragePool pool, string size)
    {
        if (size.Length > 0)
            Sizes.Parse("config.size", size);
        return pools.Subvolumes(pool)
            ?? throw new NotSupportedYetException($"config.size: storage pool \"{pool.Name}\" ({pool.Driver}) has no quotas, so a filesystem volume there has no size; " +
                "use a btrfs pool");
    }

    private static long CheckSize(string value)
    {
        var size = Sizes.Parse("config.size", value);
        if (size < 1 << 20 || size % 512 != 0)
            throw new BadRequestException($"config.size: {value} is not a disk size (at least 1MiB, in whole 512-byte sectors)");
        return size;
    }

    /// <summary>Sets a raw disk's length; the file stays sparse, so a new volume takes no space until written.</summary>
    private static void Resize(string file, long size)
    {
        using var stream = new FileStream(file, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        stream.SetLength(size);
    }
}
