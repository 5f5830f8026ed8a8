using Vessel.Core.Api;
using Vessel.Core.State;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/instances: parses requests and hands them to InstanceService; no engine logic here.</summary>
internal static class InstancesApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var instances = api.MapGroup("/instances");
        instances.MapGet("", async (HttpRequest request, IStateStore store, InstanceService service, InstanceListJson json, CancellationToken ct) =>
            request.Query["recursion"] == "2"
                ? Http.Json(await service.ListWithStateAsync(ct), VesselJson.Wire.ListInstanceWithState)
                : Results.Bytes(json.Get(await store.ListInstancesAsync(ct), Http.Flag(request, "recursion")), "application/json"));
        instances.MapPost("", async (HttpRequest request, InstanceService service, CancellationToken ct) =>
            Http.Accepted(await service.CreateAsync(await Http.ReadJsonAsync(request, VesselJson.Wire.InstancesPost), ct)));
        instances.MapGet("/{name}", async (string name, InstanceService service, CancellationToken ct) =>
            Http.Json(await service.GetAsync(name, ct), VesselJson.Wire.Instance));
        instances.MapPatch("/{name}", async (string name, HttpRequest request, InstanceService service, CancellationToken ct) =>
            Http.Json(await service.UpdateAsync(name, await Http.ReadJsonAsync(request, VesselJson.Wire.InstancePatch), ct),
                VesselJson.Wire.Instance));
        instances.MapDelete("/{name}", async (string name, HttpRequest request, InstanceService service, CancellationToken ct) =>
            Http.Accepted(await service.DeleteAsync(name, Http.Flag(request, "force"), ct)));
        instances.MapGet("/{name}/state", async (string name, InstanceService service, CancellationToken ct) =>
            Http.Json(await service.GetStateAsync(name, ct), VesselJson.Wire.InstanceStateView));
        instances.MapPut("/{name}/state", async (string name, HttpRequest request, InstanceService service, CancellationToken ct) =>
            Http.Accepted(await service.ChangeStateAsync(name, await Http.ReadJsonAsync(request, VesselJson.Wire.InstanceStatePut), ct)));
    }
}
