using System.Globalization;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.State;
using Vessel.Daemon.Networks;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/networks and their port forwards.</summary>
internal static class NetworksApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/networks");
        group.MapGet("", async (IStateStore store, NetworkService networks, CancellationToken ct) =>
        {
            var views = new List<NetworkView>();
            foreach (var network in await store.ListNetworksAsync(ct))
                views.Add(await networks.ViewAsync(network, ct));
            return Http.Json(views, VesselJson.Wire.ListNetworkView);
        });
        group.MapPost("", async (HttpRequest request, NetworkService networks, CancellationToken ct) =>
        {
            var network = await networks.CreateAsync(await Http.ReadJsonAsync(request, VesselJson.Wire.NetworksPost), ct);
            return Http.Json(await networks.ViewAsync(network, ct), VesselJson.Wire.NetworkView, 201);
        });
        group.MapGet("/{name}", async (string name, NetworkService networks, CancellationToken ct) =>
            Http.Json(await networks.ViewAsync(await networks.GetAsync(name, ct), ct), VesselJson.Wire.NetworkView));
        group.MapPatch("/{name}", async (string name, HttpRequest request, NetworkService networks, CancellationToken ct) =>
        {
            var network = await networks.UpdateAsync(name, await Http.ReadJsonAsync(request, VesselJson.Wire.NetworkPatch), ct);
            return Http.Json(await networks.ViewAsync(network, ct), VesselJson.Wire.NetworkView);
        });
        group.MapDelete("/{name}", async (string name, NetworkService networks, CancellationToken ct) =>
        {
            await networks.DeleteAsync(name, ct);
            return Results.Ok();
        });
        group.MapPost("/{name}/forwards", async (string name, HttpRequest request, NetworkService networks, CancellationToken ct) =>
        {
            var network = await networks.AddForwardAsync(name, await Http.ReadJsonAsync(request, VesselJson.Wire.NetworkForwardPost), ct);
            return Http.Json(await networks.ViewAsync(network, ct), VesselJson.Wire.NetworkView, 201);
        });
        // DELETE /1.0/networks/NAME/forwards/ADDRESS:PORT?protocol=udp
        group.MapDelete("/{name}/forwards/{listen}", async (string name, string listen, HttpRequest request, NetworkService networks, CancellationToken ct) =>
        {
            var colon = listen.LastIndexOf(':');
            if (colon < 0 || !int.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                throw new BadRequestException($"\"{listen}\" is not ADDRESS:PORT");
            var protocol = request.Query["protocol"].FirstOrDefault() ?? "tcp";
            var network = await networks.RemoveForwardAsync(name, listen[..colon], port, protocol, ct);
            return Http.Json(await networks.ViewAsync(network, ct), VesselJson.Wire.NetworkView);
        });
    }
}
