using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

internal static class ConfigCommands
{
    private const string Usage = "vessel config show NAME | get NAME KEY | set NAME KEY=VALUE... | unset NAME KEY... | " +
        "device list NAME | device add NAME DEVICE TYPE [KEY=VALUE]... | device set NAME DEVICE KEY=VALUE... | device remove NAME DEVICE";

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        if (args.FirstOrDefault() == "device")
        {
            await DeviceAsync(api, args[1..]);
            return;
        }
        var a = Arguments.Parse(args.Skip(1), [], []);
        var name = a.Positional(0, "instance name");
        switch (args.FirstOrDefault())
        {
            case "show":
                a.ExpectPositionals(1, 1, Usage);
                var instance = await api.GetAsync($"/1.0/instances/{name}", VesselJson.Wire.Instance);
                foreach (var (key, value) in instance.Config.OrderBy(c => c.Key))
                    Console.WriteLine($"{key}: {value}");
                break;
            case "get":
                a.ExpectPositionals(2, 2, Usage);
                var config = (await api.GetAsync($"/1.0/instances/{name}", VesselJson.Wire.Instance)).Config;
                Console.WriteLine(config.TryGetValue(a.Positionals[1], out var found) ? found : "");
                break;
            case "set":
                if (a.Positionals.Count < 2)
                    throw new UsageException($"usage: {Usage}");
                // "set NAME KEY VALUE" as Incus also accepts it, or any number of KEY=VALUE.
                var pairs = a.Positionals.Count == 3 && !a.Positionals[1].Contains('=', StringComparison.Ordinal)
                    ? [new KeyValuePair<string, string>(a.Positionals[1], a.Positionals[2])]
                    : a.Positionals.Skip(1).Select(Arguments.KeyValue).ToList();
                await PatchAsync(api, name, pairs.ToDictionary(p => p.Key, p => (string?)p.Value));
                break;
            case "unset":
                if (a.Positionals.Count < 2)
                    throw new UsageException($"usage: {Usage}");
                await PatchAsync(api, name, a.Positionals.Skip(1).ToDictionary(k => k, _ => (string?)null));
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static async Task DeviceAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), [], []);
        var name = a.Positional(0, "instance name");
        switch (args.FirstOrDefault())
        {
            case "list" or "show":
                a.ExpectPositionals(1, 1, Usage);
                var instance = await api.GetAsync($"/1.0/instances/{name}", VesselJson.Wire.Instance);
                foreach (var (device, settings) in instance.Devices.OrderBy(d => d.Key, StringComparer.Ordinal))
                    Console.WriteLine($"{device}: {string.Join(' ', settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"))}");
                break;
            case "add":
                a.ExpectPositionals(3, int.MaxValue, Usage);
                var settingsToAdd = a.Positionals.Skip(3).Select(Arguments.KeyValue).ToDictionary();
                settingsToAdd["type"] = a.Positionals[2];
                await PatchDevicesAsync(api, name, new() { [a.Positionals[1]] = settingsToAdd });
                break;
            case "set":
                a.ExpectPositionals(3, int.MaxValue, Usage);
                var changed = a.Positionals[1];
                var current = (await api.GetAsync($"/1.0/instances/{name}", VesselJson.Wire.Instance)).Devices.GetValueOrDefault(changed)
                    ?? throw new UsageException($"instance {name} has no device {changed}; add it with: vessel config device add {name} {changed} TYPE [KEY=VALUE]...");
                var merged = new Dictionary<string, string>(current);
                foreach (var (key, value) in a.Positionals.Skip(2).Select(Arguments.KeyValue))
                    merged[key] = value;
                await PatchDevicesAsync(api, name, new() { [changed] = merged });
                break;
            case "remove":
                a.ExpectPositionals(2, 2, Usage);
                await PatchDevicesAsync(api, name, new() { [a.Positionals[1]] = null });
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    internal static Task PatchDevicesAsync(ApiClient api, string name, Dictionary<string, Dictionary<string, string>?> devices) =>
        api.SendAsync(HttpMethod.Patch, $"/1.0/instances/{name}",
            ApiClient.Json(new InstancePatch { Devices = devices }, VesselJson.Wire.InstancePatch), VesselJson.Wire.Instance);

    private static Task PatchAsync(ApiClient api, string name, Dictionary<string, string?> config) =>
        api.SendAsync(HttpMethod.Patch, $"/1.0/instances/{name}",
            ApiClient.Json(new InstancePatch { Config = config }, VesselJson.Wire.InstancePatch), VesselJson.Wire.Instance);
}
