using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Validation;

namespace Vessel.Cli.Commands;

internal static class StorageCommands
{
    private const string Usage = "vessel storage list | show POOL | create POOL [dir|btrfs] [source=PATH|/dev/X] [size=30GiB] [source.wipe=true] " +
        "| set POOL size=SIZE | delete POOL | volume …";
    private const string VolumeUsage = "vessel storage volume list POOL | show POOL VOLUME | create POOL VOLUME [--type filesystem|block] [size=SIZE] " +
        "| set POOL VOLUME size=SIZE | delete POOL VOLUME | attach POOL VOLUME INSTANCE [DEVICE] [PATH] [--readonly] | detach POOL VOLUME INSTANCE";

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        if (args.FirstOrDefault() == "volume")
        {
            await RunVolumeAsync(api, args[1..]);
            return;
        }
        var a = Arguments.Parse(args.Skip(1), [], ["--format", "-f", "--description"]);
        switch (args.FirstOrDefault())
        {
            case "list":
                a.ExpectPositionals(0, 0, Usage);
                var pools = await api.GetAsync("/1.0/storage-pools", VesselJson.Wire.ListStoragePoolView);
                Output.List(a, pools, VesselJson.Wire.ListStoragePoolView, ["NAME", "DRIVER", "SOURCE", "USED", "SIZE", "INSTANCES", "DESCRIPTION"],
                    p =>
                    [
                        p.Pool.Name, p.Pool.Driver, p.Pool.Source, Sizes.Format(p.Usage.UsedBytes), Sizes.Format(p.Usage.TotalBytes),
                        p.Instances.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Pool.Description,
                    ]);
                break;
            case "show":
                a.ExpectPositionals(1, 1, Usage);
                var view = await api.GetAsync($"/1.0/storage-pools/{a.Positionals[0]}", VesselJson.Wire.StoragePoolView);
                Console.Out.Write($"""
                    Name: {view.Pool.Name}
                    Driver: {view.Pool.Driver}
                    Source: {view.Pool.Source}
                    Description: {view.Pool.Description}
                    Used: {Sizes.Format(view.Usage.UsedBytes)} of {Sizes.Format(view.Usage.TotalBytes)}
                    Instances: {view.Instances}

                    """);
                break;
            case "create":
                a.ExpectPositionals(1, 5, Usage);
                var driver = a.Positionals.Skip(1).FirstOrDefault(p => !p.Contains('=', StringComparison.Ordinal)) ?? "dir";
                var settings = new Dictionary<string, string>();
                foreach (var (key, value) in a.Positionals.Skip(1).Where(p => p.Contains('=', StringComparison.Ordinal)).Select(Arguments.KeyValue))
                {
                    if (!settings.TryAdd(key, value))
                        throw new UsageException($"{key}: given twice");
                }
                // source is the pool's own field; the rest are settings its driver checks (size, source.wipe).
                settings.Remove("source", out var source);
                var body = new StoragePoolPost(a.Positionals[0], driver, source, a.Option("--description"), settings.Count > 0 ? settings : null);
                await api.SendAsync(HttpMethod.Post, "/1.0/storage-pools", ApiClient.Json(body, VesselJson.Wire.StoragePoolPost),
                    VesselJson.Wire.StoragePoolView);
                Console.WriteLine($"Storage pool {a.Positionals[0]} created");
                break;
            case "set":
                a.ExpectPositionals(2, 5, Usage);
                var changes = new StoragePoolPatch(a.Positionals.Skip(1).Select(Arguments.KeyValue).ToDictionary());
                await api.SendAsync(HttpMethod.Patch, $"/1.0/storage-pools/{a.Positionals[0]}", ApiClient.Json(changes, VesselJson.Wire.StoragePoolPatch),
                    VesselJson.Wire.StoragePoolView);
                break;
            case "delete":
                a.ExpectPositionals(1, 1, Usage);
                await api.SendAsync(HttpMethod.Delete, $"/1.0/storage-pools/{a.Positionals[0]}");
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static async Task RunVolumeAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), ["--readonly"], ["--format", "-f", "--description", "--type"]);
        var volumes = a.Positionals.Count > 0 ? $"/1.0/storage-pools/{a.Positionals[0]}/volumes" : "";
        switch (args.FirstOrDefault())
        {
            case "list":
                a.ExpectPositionals(1, 1, VolumeUsage);
                var list = await api.GetAsync(volumes, VesselJson.Wire.ListStorageVolumeView);
                Output.List(a, list, VesselJson.Wire.ListStorageVolumeView, ["NAME", "TYPE", "SIZE", "USED BY", "DESCRIPTION"],
                    v =>
                    [
                        v.Volume.Name, v.Volume.ContentType, v.Volume.Config.GetValueOrDefault("size", ""),
                        string.Join(", ", v.UsedBy.Select(u => u[(u.LastIndexOf('/') + 1)..])), v.Volume.Description,
                    ]);
                break;
            case "show":
                a.ExpectPositionals(2, 2, VolumeUsage);
                var view = await api.GetAsync($"{volumes}/custom/{a.Positionals[1]}", VesselJson.Wire.StorageVolumeView);
                Console.Out.Write($"""
                    Name: {view.Volume.Name}
                    Pool: {view.Volume.Pool}
                    Type: {view.Volume.ContentType}
                    Description: {view.Volume.Description}
                    Created: {Output.Time(view.Volume.CreatedAt)}
                    Config:{string.Concat(view.Volume.Config.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"\n  {c.Key}: {c.Value}"))}
                    Disk: {(view.UsedBytes is { } used ? Sizes.Format(used) : "unknown")}
                    Used by:{string.Concat(view.UsedBy.Select(u => $"\n  {u}"))}

                    """);
                break;
            case "create":
                a.ExpectPositionals(2, 3, VolumeUsage);
                var body = new StorageVolumePost(a.Positionals[1], a.Option("--type"), Settings(a.Positionals.Skip(2)), a.Option("--description"));
                await api.SendAsync(HttpMethod.Post, volumes, ApiClient.Json(body, VesselJson.Wire.StorageVolumePost), VesselJson.Wire.StorageVolumeView);
                Console.WriteLine($"Storage volume {a.Positionals[1]} created");
                break;
            case "set":
                a.ExpectPositionals(3, 3, VolumeUsage);
                var patch = new StorageVolumePatch(Settings(a.Positionals.Skip(2)).ToDictionary(s => s.Key, s => (string?)s.Value), a.Option("--description"));
                await api.SendAsync(HttpMethod.Patch, $"{volumes}/custom/{a.Positionals[1]}", ApiClient.Json(patch, VesselJson.Wire.StorageVolumePatch),
                    VesselJson.Wire.StorageVolumeView);
                break;
            case "delete":
                a.ExpectPositionals(2, 2, VolumeUsage);
                await api.SendAsync(HttpMethod.Delete, $"{volumes}/custom/{a.Positionals[1]}");
                break;
            case "attach":
            {
                a.ExpectPositionals(3, 5, VolumeUsage);
                var (pool, volume, instance) = (a.Positionals[0], a.Positionals[1], a.Positionals[2]);
                var device = new Dictionary<string, string> { ["type"] = "disk", ["pool"] = pool, ["source"] = volume };
                // As in Incus: a fourth word that is a path is the path, and the device is named after the volume.
                var rest = a.Positionals.Skip(3).ToList();
                var name = rest.Count > 0 && !rest[0].StartsWith('/') ? rest[0] : volume;
                if (rest.LastOrDefault(r => r.StartsWith('/')) is { } path)
                    device["path"] = path;
                if (a.Flag("--readonly"))
                    device["readonly"] = "true";
                await ConfigCommands.PatchDevicesAsync(api, instance, new() { [name] = device });
                break;
            }
            case "detach":
            {
                a.ExpectPositionals(3, 4, VolumeUsage);
                var (pool, volume, instance) = (a.Positionals[0], a.Positionals[1], a.Positionals[2]);
                var attached = (await api.GetAsync($"/1.0/instances/{instance}", VesselJson.Wire.Instance)).Devices
                    .Where(d => d.Value.GetValueOrDefault("type") == "disk" && string.Equals(d.Value.GetValueOrDefault("pool"), pool, StringComparison.OrdinalIgnoreCase) &&
                                string.Equals(d.Value.GetValueOrDefault("source"), volume, StringComparison.OrdinalIgnoreCase))
                    .Select(d => d.Key).Where(d => a.Positionals.Count < 4 || d == a.Positionals[3]).ToList();
                if (attached.Count == 0)
                    throw new UsageException($"storage volume {volume} of pool {pool} is not attached to {instance}");
                await ConfigCommands.PatchDevicesAsync(api, instance, attached.ToDictionary(d => d, _ => (Dictionary<string, string>?)null));
                break;
            }
            default:
                throw new UsageException($"usage: {VolumeUsage}");
        }
    }

    private static Dictionary<string, string> Settings(IEnumerable<string> words) =>
        words.Select(Arguments.KeyValue).ToDictionary(p => p.Key, p => p.Value);
}
