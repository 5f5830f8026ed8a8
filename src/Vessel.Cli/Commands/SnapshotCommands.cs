using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

internal static class SnapshotCommands
{
    private const string Usage =
        "vessel snapshot create NAME [SNAP] [--stateful] [--description TEXT] [--expiry 3d | --no-expiry] | list NAME | show NAME SNAP | restore NAME SNAP | delete NAME SNAP";

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), ["--stateful", "--no-expiry"], ["--description", "--expiry", "--format", "-f"]);
        var name = a.Positional(0, "instance name");
        switch (args.FirstOrDefault())
        {
            case "create":
                a.ExpectPositionals(1, 2, Usage);
                if (a.Flag("--no-expiry") && a.Option("--expiry") is not null)
                    throw new UsageException("--expiry and --no-expiry: give one of them, not both");
                var expiry = a.Flag("--no-expiry") ? "never" : a.Option("--expiry");
                var body = new SnapshotsPost(a.Positionals.ElementAtOrDefault(1), a.Flag("--stateful"), a.Option("--description"), expiry);
                await api.WaitAsync(await api.SendAsync(HttpMethod.Post, $"/1.0/instances/{name}/snapshots",
                    ApiClient.Json(body, VesselJson.Wire.SnapshotsPost), VesselJson.Wire.Operation));
                break;
            case "list":
                a.ExpectPositionals(1, 1, Usage);
                var snapshots = await api.GetAsync($"/1.0/instances/{name}/snapshots", VesselJson.Wire.ListSnapshot);
                Output.List(a, snapshots, VesselJson.Wire.ListSnapshot, ["NAME", "TAKEN", "EXPIRES", "STATEFUL", "DESCRIPTION"],
                    s => [s.Name, Output.Time(s.CreatedAt), Expires(s), s.Stateful ? "YES" : "NO", s.Description]);
                break;
            case "show":
                a.ExpectPositionals(2, 2, Usage);
                var snapshot = await api.GetAsync($"/1.0/instances/{name}/snapshots/{a.Positionals[1]}", VesselJson.Wire.Snapshot);
                Console.Out.Write($"Name: {snapshot.Name}\nInstance: {snapshot.Instance}\nTaken: {Output.Time(snapshot.CreatedAt)}\n" +
                    $"Expires: {Expires(snapshot)}\nStateful: {(snapshot.Stateful ? "yes" : "no")}\nDescription: {snapshot.Description}\n" +
                    (snapshot.StateDevices is { } devices ? $"Saved with: {string.Join(", ", devices)}\n" : ""));
                break;
            case "restore":
                a.ExpectPositionals(2, 2, Usage);
                await api.WaitAsync(await api.SendAsync(HttpMethod.Post, $"/1.0/instances/{name}/snapshots/{a.Positionals[1]}/restore", null,
                    VesselJson.Wire.Operation));
                break;
            case "delete":
                a.ExpectPositionals(2, 2, Usage);
                await api.WaitAsync(await api.SendAsync(HttpMethod.Delete, $"/1.0/instances/{name}/snapshots/{a.Positionals[1]}", null,
                    VesselJson.Wire.Operation));
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static string Expires(Vessel.Core.Model.Snapshot snapshot) => snapshot.ExpiresAt is { } at ? Output.Time(at) : "never";
}
