using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;
using Vessel.Core.Validation;
using Vessel.Daemon.Networks;
using Vessel.Linux;
using Vessel.Storage;

namespace Vessel.Daemon.Instances;

/// <summary>
/// Backups: one tar file (zstd-compressed unless asked not to) holding index.json, the instance's image and its
/// root as volume.tar. Parts are staged and hashed first, so the index can name every part's sha256; an import
/// checks them all before it makes anything, and undoes what it made when a later step fails.
/// </summary>
public sealed partial class InstanceService
{
    private const string IndexEntry = "index.json", VolumeEntry = "volume.tar", ImagePrefix = "image/";
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>The id of the last export of an instance that an incremental export follows.</summary>
    private const string ExportIdKey = "volatile.export.id";

    /// <summary>
    /// The export an imported instance's disk still holds unchanged: set by an import or an applied increment, dropped at
    /// its first start or snapshot restore. Only onto that may the next increment be applied.
    /// </summary>
    internal const string ExportBaseKey = "volatile.export.base";

    /// <summary>
    /// Writes the backup to OUTPUT. Incremental (VMs): only what changed since the last export, which an import applies
    /// onto the instance restored from that export. Once the file is written out, changes are counted anew from here.
    /// </summary>
    public async Task ExportAsync(string name, bool instanceOnly, bool compress, bool incremental, Stream output, CancellationToken cancellationToken)
    {
        await using var instanceLock = await _locks.LockAsync(name, cancellationToken);
        var instance = await ReadyAsync(name, cancellationToken);
        var driver = drivers.Get(instance.Type);
        var image = instance.Image is { } fingerprint ? await store.GetImageAsync(fingerprint, cancellationToken) : null;
        if (image is null)
            throw new ConflictException($"instance \"{name}\" has no image to put in its backup");
        var work = images.NewWorkDirectory();
        var context = await ContextAsync(instance, cancellationToken);
        var read = false;
        try
        {
            var volume = System.IO.Path.Combine(work, VolumeEntry);
            read = true; // from here the driver may have started a record of changes, which must end either way
            await driver.ExportAsync(context, volume, !instanceOnly, incremental, cancellationToken);
            var since = incremental ? instance.Config.GetValueOrDefault(ExportIdKey)
                ?? throw new ConflictException($"instance \"{name}\" has not been exported since it was made; export it whole first") : null;
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            var imageFile = images.ImagePath(image);
            // The volume is hashed while it is compressed; an image's fingerprint is the sha256 of its file.
            var volumePart = Task.Run(() => PartAsync(VolumeEntry, volume, cancellationToken), cancellationToken);
            List<BackupPart> parts = incremental ? [] : [new BackupPart(ImagePrefix + image.Filename, image.Fingerprint, new FileInfo(imageFile).Length)];
            // Straight to the client: a failure from here on breaks the connection off (the client sees a body cut short, and
            // the file lacks its index, which no import takes). The index comes last, once the volume's hash is known (an
            // import reads the parts in any order).
            await using (var compressed = compress ? Compressor(output) : null)
            await using (var tar = new TarWriter(compressed ?? output, TarEntryFormat.Pax, leaveOpen: true))
            {
                if (!incremental)
                    await tar.WriteEntryAsync(imageFile, ImagePrefix + image.Filename, cancellationToken);
                await tar.WriteEntryAsync(volume, VolumeEntry, cancellationToken);
                parts.Add(await volumePart);
                var index = new BackupIndex
                {
                    Instance = instance with
                    {
                        Config = new Dictionary<string, string>(instance.Config.Where(c => c.Key is not (ExportBaseKey or VncDisplay.PasswordKey)))
                        {
                            [ExportIdKey] = id,
                        },
                    },
                    Image = image with { Aliases = [] },
                    Snapshots = instanceOnly || incremental ? [] : [.. await store.ListSnapshotsAsync(name, cancellationToken)],
                    Parts = parts,
                    Id = id,
                    Since = since,
                };
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, IndexEntry)
                {
                    DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(index, VesselJson.Wire.BackupIndex)),
                }, cancellationToken);
            }
            await output.FlushAsync(cancellationToken);
            read = false;
            // The id first: a crash between the two leaves the old record, and the next increment holds more than it must, not less.
            await SetVolatileAsync(name, ExportIdKey, id, cancellationToken);
            await driver.ExportEndedAsync(context, delivered: true, cancellationToken);
        }
        finally
        {
            if (read)
                await driver.ExportEndedAsync(context, delivered: false, CancellationToken.None);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Sets (or with null removes) a volatile key of the stored instance.</summary>
    private Task SetVolatileAsync(string name, string key, string? value, CancellationToken cancellationToken) =>
        SetVolatileAsync(name, [(key, value)], cancellationToken);

    /// <summary>Sets (or with null removes) volatile keys of the stored instance, in one write when any changes.</summary>
    private async Task SetVolatileAsync(string name, IReadOnlyList<(string Key, string? Value)> changes, CancellationToken cancellationToken)
    {
        await using var networkLock = await networks.LockAsync(cancellationToken); // as UpdateAsync holds it from read to write
        var instance = await GetAsync(name, cancellationToken);
        var config = new Dictionary<string, string>(instance.Config);
        foreach (var (key, value) in changes)
        {
            if (value is null)
                config.Remove(key);
            else
                config[key] = value;
        }
        if (config.Count != instance.Config.Count || config.Any(c => instance.Config.GetValueOrDefault(c.Key) != c.Value))
            await store.UpdateInstanceConfigAsync(name, config, instance.Devices, cancellationToken);
    }

    /// <summary>
    /// zstd level 3 on every core (as zstd -T0), frames a plain zstd reads, each with a checksum of its content (as zstd
    /// writes them), so that damage anywhere in the file, the index too, fails the decoding.
    /// </summary>
    private static ZstdCompressionStream Compressor(Stream file) => new(file, 3, Environment.ProcessorCount, leaveOpen: true);

    private static async Task<BackupPart> PartAsync(string name, string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return new BackupPart(name, Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken)), file.Length);
    }

    private static async Task<BackupPart> WriteHashingAsync(string name, Stream content, string path, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long size = 0;
        await using var file = File.Create(path);
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            size += read;
        }
        return new BackupPart(name, Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }

    /// <summary>Makes an instance (named <paramref name="newName"/>, else as in the backup) from a backup file, stopped.</summary>
    public async Task<Instance> ImportAsync(Stream content, string? newName, string? poolName, CancellationToken cancellationToken)
    {
        var work = images.NewWorkDirectory();
        try
        {
            var index = await UnpackBackupAsync(content, work, cancellationToken);
            var name = newName ?? index.Instance.Name;
            Names.ValidateLabel("name", name);
            await using var instanceLock = await _locks.LockAsync(name, cancellationToken); // an increment changes its root
            if (index.Since is not null)
                return await ApplyIncrementAsync(name, index, System.IO.Path.Combine(work, VolumeEntry), cancellationToken);
            if (await store.GetInstanceAsync(name, cancellationToken) is not null)
                throw new ConflictException($"instance \"{name}\" already exists");
            var driver = drivers.Get(index.Instance.Type);
            var pool = await pools.GetAsync(poolName ?? index.Instance.Pool, cancellationToken);
            CheckDefinition(index, pool);
            // Its custom volumes are checked as a device add checks them, before anything is made (and again under the lock).
            await volumes.CheckDevicesAsync(name, index.Instance.Type, index.Instance.Devices, cancellationToken);
            var source = index.Image;
            await using var revert = new Reverter();
            // An image is stored under the sha256 of its file: one already here is not imported again, and one the import
            // brings goes again with a failed import, unless an instance took it meanwhile.
            var image = await store.GetImageAsync(index.Parts.Single(p => p.Name == ImagePrefix + source.Filename).Sha256, cancellationToken);
            if (image is null)
            {
                var brought = image = await images.ImportBuiltAsync(System.IO.Path.Combine(work, ImagePrefix + source.Filename),
                    new ImageImport(source.Type, source.Architecture, source.Description, null), cancellationToken);
                revert.Add(async () =>
                {
                    try
                    {
                        await images.DeleteAsync(brought, CancellationToken.None); // the store refuses, in one transaction, an image in use
                    }
                    catch (ConflictException)
                    {
                        return;
                    }
                    await pools.ForgetImageAsync(brought.Fingerprint, CancellationToken.None);
                });
            }
            Instance instance;
            await using (var networkLock = await networks.LockAsync(cancellationToken))
            {
                await volumes.CheckDevicesAsync(name, index.Instance.Type, index.Instance.Devices, cancellationToken);
                // A VNC password does not travel in a backup file: the restored VM gets one of its own.
                var config = InstanceIdentity.WithUuid(VncDisplay.WithPassword(await networks.AssignAsync(name, index.Instance.Devices,
                    index.Instance.Config.Where(c => c.Key != VncDisplay.PasswordKey).ToDictionary(), cancellationToken)));
                if (index.Id is not null)
                    config[ExportBaseKey] = index.Id;
                var now = DateTimeOffset.UtcNow;
                instance = index.Instance with
                {
                    Name = name, Status = InstanceStatus.Stopped, StatusReason = Creating, Config = config, Image = image.Fingerprint, Pool = pool.Name,
                    Architecture = image.Architecture,
                    CreatedAt = now, StatusChangedAt = now,
                };
                await store.CreateInstanceAsync(instance, cancellationToken);
            }
            revert.Add(() => store.DeleteInstanceAsync(name, CancellationToken.None));
            var storage = pools.Driver(pool);
            await pools.WritingAsync(pool, () => storage.CreateVolumeAsync(pool, VolumeOf(instance), cancellationToken));
            revert.Add(() => storage.DeleteVolumeAsync(pool, VolumeOf(instance), CancellationToken.None));
            var context = Context(instance, pool, image);
            revert.Add(() => driver.DeleteAsync(context, CancellationToken.None));
            await pools.WritingAsync(pool, () => driver.ImportAsync(context, System.IO.Path.Combine(work, VolumeEntry), index.Snapshots.Count > 0, cancellationToken));
            foreach (var snapshot in index.Snapshots)
                await store.CreateSnapshotAsync(snapshot with { Instance = name }, cancellationToken);
            await driver.RecordChangesFromNowAsync(context, cancellationToken); // changes count from the export it came from
            await store.SetStatusAsync(name, InstanceStatus.Stopped, null, cancellationToken);
            await networks.RefreshAsync(NetworkService.NetworksOf(instance.Devices), cancellationToken);
            revert.Success();
            events.Lifecycle("instance-created", Path(name));
            return await GetAsync(name, cancellationToken);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>What <see cref="ExportAsync"/> names an export by: 8 random bytes in lower-case hexadecimal.</summary>
    private static bool IsExportId(string id) => id.Length == 16 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Nothing hashes a backup's index: the instance in it is checked as a create checks one, and so is what Vessel wrote
    /// into it itself (snapshot names become paths; volatile keys reach QEMU's command line and dnsmasq).
    /// </summary>
    private void CheckDefinition(BackupIndex index, StoragePool pool)
    {
        var instance = index.Instance;
        if (index.Image.Type != instance.Type)
            throw new BadRequestException($"the backup's instance is a {instance.Type.Name()} and its image one for a {index.Image.Type.Name()}: the file is damaged");
        var config = instance.Config.Where(c => !c.Key.StartsWith(InstanceConfigSchema.VolatilePrefix, StringComparison.Ordinal)).ToDictionary();
        InstanceConfigSchema.Validate(config, instance.Type, HostResources.Current);
        DeviceSchema.Validate(instance.Devices);
        if (instance.Architecture != index.Image.Architecture)
            throw new BadRequestException($"the backup's instance is for {instance.Architecture} and its image for {index.Image.Architecture}: the file is damaged");
        CheckArchitecture(instance.Type, instance.Architecture, config);
        CheckRootSize(instance.Type, instance.Devices, pool);
        var nics = instance.Devices.Where(d => IsNic(d.Value)).Select(d => d.Key).ToList();
        foreach (var (key, value) in instance.Config.Where(c => !config.ContainsKey(c.Key)))
        {
            var valid = key switch
            {
                InstanceIdentity.UuidKey => Guid.TryParseExact(value, "D", out _),
                ExportIdKey or ExportBaseKey => IsExportId(value),
                VncDisplay.PasswordKey => true, // not taken over: the instance gets a password of its own
                _ when nics.Any(nic => key == NetworkService.HwaddrKey(nic)) => DeviceSchema.IsNicMac(value),
                _ when nics.Any(nic => key == NetworkService.Ipv4Key(nic)) => Ipv4Cidr.TryParseAddress(value, out _),
                _ => false,
            };
            if (!valid)
                throw new BadRequestException($"the backup's config holds {key}=\"{value}\", which Vessel does not write there: the file is damaged");
        }
        foreach (var snapshot in index.Snapshots)
            Names.ValidateLabel("the backup's snapshot", snapshot.Name);
        if (index.Snapshots.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1) is { } taken)
            throw new BadRequestException($"the backup's index names snapshot \"{taken.Key}\" twice: the file is damaged");
    }

    /// <summary>Brings a stopped instance restored from (or kept since) the export an increment follows up to that increment.</summary>
    private async Task<Instance> ApplyIncrementAsync(string name, BackupIndex index, string volume, CancellationToken cancellationToken)
    {
        var instance = await store.GetInstanceAsync(name, cancellationToken)
            ?? throw new NotFoundException($"the backup is incremental: it applies onto instance \"{name}\" restored from the export before it, and there is none");
        if (instance.Type != index.Instance.Type)
            throw new ConflictException($"the backup is of a {index.Instance.Type.Name()}, and instance \"{name}\" is a {instance.Type.Name()}");
        DeviceSchema.Validate(index.Instance.Devices); // its root size is taken once the disk has changed
        var at = instance.Config.GetValueOrDefault(ExportBaseKey);
        if (at != index.Since)
            throw new ConflictException($"the backup holds the changes after export {index.Since}; instance \"{name}\" " +
                (at is null ? "has changed since it was restored from an export (or was never restored from one)" : $"is at export {at}") +
                "; apply the increments in their order, onto the export they follow, before the instance starts");
        if (instance.Status != InstanceStatus.Stopped)
            throw new ConflictException($"instance \"{name}\" is {instance.Status}; stop it to apply an incremental backup");
        var driver = drivers.Get(instance.Type);
        var context = await ContextAsync(instance, cancellationToken);
        var pool = await pools.GetAsync(instance.Pool, cancellationToken);
        await pools.WritingAsync(pool, () => driver.ApplyIncrementAsync(context, volume, cancellationToken));
        await TakeRootSizeAsync(name, index.Instance.Devices, cancellationToken);
        await driver.RecordChangesFromNowAsync(context, cancellationToken);
        await SetVolatileAsync(name, [(ExportIdKey, index.Id!), (ExportBaseKey, index.Id!)], cancellationToken);
        events.Lifecycle("instance-updated", Path(name));
        return await GetAsync(name, cancellationToken);
    }

    /// <summary>
    /// A disk that grew at the source grows here with the increment: the instance's root device then names the size the
    /// source's named, so that config and disk agree.
    /// </summary>
    private async Task TakeRootSizeAsync(string name, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> sourceDevices,
        CancellationToken cancellationToken)
    {
        if (sourceDevices.Values.FirstOrDefault(DeviceSchema.IsRoot)?.GetValueOrDefault("size") is not { } size)
            return;
        await using var networkLock = await networks.LockAsync(cancellationToken); // as UpdateAsync holds it from read to write
        var instance = await GetAsync(name, cancellationToken);
        if (DeviceSchema.RootSize(instance.Devices) >= DeviceSchema.RootSize(sourceDevices))
            return;
        var devices = instance.Devices.ToDictionary();
        var root = devices.FirstOrDefault(d => DeviceSchema.IsRoot(d.Value)).Key // else a new one, not over a volume's device named root
            ?? Enumerable.Range(0, devices.Count + 1).Select(i => i == 0 ? "root" : $"root{i}").First(n => !devices.ContainsKey(n));
        devices[root] = new Dictionary<string, string>(devices.GetValueOrDefault(root) ??
            new Dictionary<string, string> { ["type"] = "disk", ["path"] = "/", ["pool"] = instance.Pool }) { ["size"] = size };
        await store.UpdateInstanceConfigAsync(name, instance.Config, devices, cancellationToken);
    }

    /// <summary>The backup as a plain tar stream: as it comes, or through a zstd decompressor.</summary>
    private static async Task<Stream> OpenBackupAsync(Stream content, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        var read = await content.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
            throw new BadRequestException("the backup file is empty");
        var whole = new PrefixedStream(head.AsMemory(0, read), content);
        return new WholeReadStream(head.AsSpan(0, read).SequenceEqual(ZstdMagic) ? new ZstdDecompressionStream(whole, leaveOpen: true) : whole);
    }

    /// <summary>The next entry; headers that do not hold (TarReader throws ArgumentException and OverflowException for some) are InvalidDataException.</summary>
    private static async ValueTask<TarEntry?> NextEntryAsync(TarReader tar, CancellationToken cancellationToken)
    {
        try
        {
            return await tar.GetNextEntryAsync(copyData: false, cancellationToken);
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>Unpacks the backup's parts into the work directory, hashing them as they are written, and checks them against the index.</summary>
    private static async Task<BackupIndex> UnpackBackupAsync(Stream content, string work, CancellationToken cancellationToken)
    {
        BackupIndex? index = null;
        var unpacked = new Dictionary<string, BackupPart>();
        try
        {
            await using var tarStream = await OpenBackupAsync(content, cancellationToken);
            await using var tar = new TarReader(tarStream);
            while (await NextEntryAsync(tar, cancellationToken) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) ||
                    !(entry.Name is IndexEntry or VolumeEntry || (entry.Name.StartsWith(ImagePrefix, StringComparison.Ordinal) &&
                      !entry.Name[ImagePrefix.Length..].Contains('/', StringComparison.Ordinal) && entry.Name.Length > ImagePrefix.Length && !entry.Name.Contains("..", StringComparison.Ordinal))))
                    throw new BadRequestException($"the backup holds \"{entry.Name}\", which no Vessel backup has");
                if (entry.Name == IndexEntry)
                {
                    index = await JsonSerializer.DeserializeAsync(entry.DataStream ?? Stream.Null, VesselJson.Lenient.BackupIndex, cancellationToken)
                        ?? throw new BadRequestException("the backup's index.json is empty");
                    continue;
                }
                var target = System.IO.Path.Combine(work, entry.Name);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                unpacked[entry.Name] = await WriteHashingAsync(entry.Name, entry.DataStream ?? Stream.Null, target, cancellationToken);
            }
            // To the end: the tar's end comes before the end of the last compressed frame, whose checksum is checked there.
            await tarStream.CopyToAsync(Stream.Null, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new BadRequestException($"the backup file is cut short: {e.Message}");
        }
        catch (ZstdException e)
        {
            throw new BadRequestException($"the backup file is damaged: its compressed data does not decode ({e.Message})");
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"the backup's index.json is cut short or damaged: {e.Message}");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            throw new BadRequestException($"the backup file is cut short or is not a Vessel backup: {e.Message}");
        }
        if (index is null)
            throw new BadRequestException("the backup file has no index.json: it is not a Vessel backup");
        // The reader takes an explicit null where the model has none.
        if (index.Instance?.Config is null || index.Instance.Name is null || index.Instance.Pool is null || index.Instance.Config.Values.Any(v => v is null) ||
            index.Instance.Devices is null || index.Instance.Devices.Values.Any(d => d is null || d.Values.Any(v => v is null)) || index.Image is null ||
            index.Parts is null || index.Parts.Any(p => p?.Name is null || p.Sha256 is null) || index.Snapshots is null || index.Snapshots.Any(s => s is null))
            throw new BadRequestException("the backup's index.json lacks part of its instance, image, parts or snapshots: the file is damaged");
        if (index.Format != BackupIndex.CurrentFormat)
            throw new BadRequestException($"the backup is of format {index.Format}; this vesseld reads format {BackupIndex.CurrentFormat}");
        foreach (var part in index.Parts)
        {
            if (!unpacked.TryGetValue(part.Name, out var actual))
                throw new BadRequestException($"the backup lacks its part {part.Name}: it is cut short");
            if (actual != part)
                throw new BadRequestException($"the backup's part {part.Name} does not match its index (sha256 {actual.Sha256[..12]}, {actual.Size} bytes; " +
                    $"expected {part.Sha256[..Math.Min(12, part.Sha256.Length)]}, {part.Size} bytes): the file is damaged");
        }
        if (!index.Parts.Any(p => p.Name == VolumeEntry) || (index.Since is null && !index.Parts.Any(p => p.Name == ImagePrefix + index.Image.Filename)))
            throw new BadRequestException("the backup's index names no volume or no image");
        if (index.Since is not null && index.Id is null)
            throw new BadRequestException("the incremental backup's index has no id of its own");
        if (index.Parts.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new BadRequestException($"the backup's index names its part {twice.Key} twice: the file is damaged");
        if (new[] { index.Id, index.Since }.FirstOrDefault(id => id is not null && !IsExportId(id)) is { } badId)
            throw new BadRequestException($"the backup's index has \"{badId}\" for an export id, which is 16 hexadecimal digits: the file is damaged");
        return index;
    }
}
