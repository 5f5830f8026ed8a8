using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

/// <summary>vessel server: the daemon's own settings, such as where it serves HTTPS.</summary>
internal static class ServerCommands
{
    private const string Usage = "vessel server show | set KEY VALUE | unset KEY";

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), [], []);
        switch (args.FirstOrDefault())
        {
            case "show":
                a.ExpectPositionals(0, 0, Usage);
                var server = await api.GetAsync("/1.0", VesselJson.Wire.ServerInfo);
                Console.WriteLine($"Version: {server.Version} (API {server.ApiVersion})");
                Console.WriteLine($"Certificate fingerprint: {server.CertificateFingerprint}");
                Console.WriteLine("Config:");
                foreach (var (key, value) in server.Config.OrderBy(c => c.Key, StringComparer.Ordinal))
                    Console.WriteLine($"  {key}: {value}");
                break;
            case "set":
                a.ExpectPositionals(2, 2, Usage);
                await PatchAsync(api, a.Positionals[0], a.Positionals[1]);
                break;
            case "unset":
                a.ExpectPositionals(1, 1, Usage);
                await PatchAsync(api, a.Positionals[0], null);
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static Task PatchAsync(ApiClient api, string key, string? value) =>
        api.SendAsync(HttpMethod.Patch, "/1.0", ApiClient.Json(new ServerPatch(new Dictionary<string, string?> { [key] = value }), VesselJson.Wire.ServerPatch));
}
