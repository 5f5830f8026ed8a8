using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Validation;

namespace Vessel.Cli.Commands;

internal static class StorageCommands
{
    private const string Usage = "vessel storage list | show POOL | create POOL [dir|btrfs] [source=PATH|/dev/X] [size=30GiB] [source.wipe=true] | delete POOL";

    public static async Task RunAsync(ApiClient api, string[] args)
    {
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
            case "delete":
                a.ExpectPositionals(1, 1, Usage);
                await api.SendAsync(HttpMethod.Delete, $"/1.0/storage-pools/{a.Positionals[0]}");
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }
}
