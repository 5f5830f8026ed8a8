using System.Globalization;
using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

internal static class NetworkCommands
{
    private const string Usage = """
        vessel network list | show NET | create NET [KEY=VALUE]... | set NET KEY=VALUE... | unset NET KEY... | delete NET
               vessel network forward list NET | add NET LISTEN_ADDRESS:PORT INSTANCE:PORT [--protocol tcp|udp] | remove NET LISTEN_ADDRESS:PORT [--protocol tcp|udp]
        """;

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        if (args.FirstOrDefault() == "forward")
        {
            await ForwardAsync(api, args[1..]);
            return;
        }
        var a = Arguments.Parse(args.Skip(1), [], ["--format", "-f", "--description"]);
        switch (args.FirstOrDefault())
        {
            case "list":
                a.ExpectPositionals(0, 0, Usage);
                var networks = await api.GetAsync("/1.0/networks", VesselJson.Wire.ListNetworkView);
                Output.List(a, networks, VesselJson.Wire.ListNetworkView, ["NAME", "IPV4", "NAT", "MODE", "STATE", "USED BY", "DESCRIPTION"],
                    n =>
                    [
                        n.Network.Name, n.Network.Config.GetValueOrDefault("ipv4.address", ""), n.Network.Config.GetValueOrDefault("ipv4.nat", "true"),
                        Mode(n), n.Up ? "UP" : "DOWN", n.UsedBy.Count.ToString(CultureInfo.InvariantCulture), n.Network.Description,
                    ]);
                break;
            case "show":
                a.ExpectPositionals(1, 1, Usage);
                Show(await api.GetAsync($"/1.0/networks/{a.Positionals[0]}", VesselJson.Wire.NetworkView));
                break;
            case "create":
                a.ExpectPositionals(1, int.MaxValue, Usage);
                var body = new NetworksPost(a.Positionals[0], a.Positionals.Skip(1).Select(Arguments.KeyValue).ToDictionary(), a.Option("--description"));
                var created = await api.SendAsync(HttpMethod.Post, "/1.0/networks", ApiClient.Json(body, VesselJson.Wire.NetworksPost), VesselJson.Wire.NetworkView);
                Console.WriteLine($"Network {created.Network.Name} created ({created.Network.Config.GetValueOrDefault("ipv4.address")})");
                break;
            case "set":
                a.ExpectPositionals(2, int.MaxValue, Usage);
                await PatchAsync(api, a.Positionals[0], new NetworkPatch(a.Positionals.Skip(1).Select(Arguments.KeyValue).ToDictionary(p => p.Key, p => (string?)p.Value),
                    a.Option("--description")));
                break;
            case "unset":
                a.ExpectPositionals(2, int.MaxValue, Usage);
                await PatchAsync(api, a.Positionals[0], new NetworkPatch(a.Positionals.Skip(1).ToDictionary(k => k, _ => (string?)null)));
                break;
            case "delete":
                a.ExpectPositionals(1, 1, Usage);
                await api.SendAsync(HttpMethod.Delete, $"/1.0/networks/{a.Positionals[0]}");
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static async Task ForwardAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args.Skip(1), [], ["--protocol", "--description", "--format", "-f"]);
        var protocol = a.Option("--protocol") ?? "tcp";
        switch (args.FirstOrDefault())
        {
            case "list":
                a.ExpectPositionals(1, 1, Usage);
                var view = await api.GetAsync($"/1.0/networks/{a.Positionals[0]}", VesselJson.Wire.NetworkView);
                Console.Out.Write(Output.Table(["LISTEN", "PROTOCOL", "TARGET", "DESCRIPTION"],
                    view.Network.Forwards.Select(f => (IReadOnlyList<string>)[$"{f.ListenAddress}:{f.ListenPort}", f.Protocol, $"{f.Instance}:{f.TargetPort}", f.Description]),
                    Output.ParseFormat(a.Option("--format") ?? a.Option("-f"))));
                break;
            case "add":
                a.ExpectPositionals(3, 3, Usage);
                var (listenAddress, listenPort) = HostPort(a.Positionals[1], "LISTEN_ADDRESS:PORT");
                var (instance, targetPort) = HostPort(a.Positionals[2], "INSTANCE:PORT");
                var post = new NetworkForwardPost
                {
                    ListenAddress = listenAddress, ListenPort = listenPort, Protocol = protocol, Instance = instance, TargetPort = targetPort,
                    Description = a.Option("--description"),
                };
                await api.SendAsync(HttpMethod.Post, $"/1.0/networks/{a.Positionals[0]}/forwards",
                    ApiClient.Json(post, VesselJson.Wire.NetworkForwardPost), VesselJson.Wire.NetworkView);
                break;
            case "remove":
                a.ExpectPositionals(2, 2, Usage);
                HostPort(a.Positionals[1], "LISTEN_ADDRESS:PORT");
                await api.SendAsync(HttpMethod.Delete,
                    $"/1.0/networks/{a.Positionals[0]}/forwards/{Uri.EscapeDataString(a.Positionals[1])}?protocol={Uri.EscapeDataString(protocol)}");
                break;
            default:
                throw new UsageException($"usage: {Usage}");
        }
    }

    private static (string Host, int Port) HostPort(string text, string what)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            throw new UsageException($"\"{text}\" is not {what}");
        return (text[..colon], port);
    }

    private static string Mode(NetworkView view)
    {
        var config = view.Network.Config;
        if (config.GetValueOrDefault("security.isolated") == "true")
            return "isolated";
        if (config.GetValueOrDefault("ipv4.routing") == "false")
            return "host-only";
        return config.GetValueOrDefault("ipv4.nat", "true") == "true" ? "nat" : "routed";
    }

    private static void Show(NetworkView view)
    {
        var network = view.Network;
        Console.WriteLine($"Name: {network.Name}");
        Console.WriteLine($"Description: {network.Description}");
        Console.WriteLine($"Mode: {Mode(view)}");
        Console.WriteLine($"State: {(view.Up ? "UP" : "DOWN")}");
        Console.WriteLine("Config:");
        foreach (var (key, value) in network.Config.OrderBy(c => c.Key, StringComparer.Ordinal))
            Console.WriteLine($"  {key}: {value}");
        Console.WriteLine("Nics:");
        foreach (var lease in view.Leases)
            Console.WriteLine($"  {lease.Instance}/{lease.Device}: {lease.Hwaddr} {lease.Ipv4Address}");
        Console.WriteLine("Forwards:");
        foreach (var forward in network.Forwards)
            Console.WriteLine($"  {forward.Protocol} {forward.ListenAddress}:{forward.ListenPort} -> {forward.Instance}:{forward.TargetPort}");
    }

    private static Task PatchAsync(ApiClient api, string name, NetworkPatch patch) =>
        api.SendAsync(HttpMethod.Patch, $"/1.0/networks/{name}", ApiClient.Json(patch, VesselJson.Wire.NetworkPatch), VesselJson.Wire.NetworkView);
}
