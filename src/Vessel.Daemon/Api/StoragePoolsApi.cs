using Vessel.Core.Api;
using Vessel.Core.State;
using Vessel.Daemon.Events;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/storage-pools.</summary>
internal static class StoragePoolsApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/storage-pools");
        group.MapGet("", async (IStateStore store, StoragePools pools, CancellationToken ct) =>
        {
            var views = new List<StoragePoolView>();
            foreach (var pool in await store.ListPoolsAsync(ct))
                views.Add(await pools.ViewAsync(pool, ct));
            return Http.Json(views, VesselJson.Wire.ListStoragePoolView);
        });
        group.MapPost("", async (HttpRequest request, StoragePools pools, EventHub events, CancellationToken ct) =>
        {
            var body = await Http.ReadJsonAsync(request, VesselJson.Wire.StoragePoolPost);
            var pool = await pools.CreateAsync(body, ct);
            events.Lifecycle("storage-pool-created", $"/1.0/storage-pools/{pool.Name}");
            return Http.Json(await pools.ViewAsync(pool, ct), VesselJson.Wire.StoragePoolView, 201);
        });
        group.MapGet("/{name}", async (string name, StoragePools pools, CancellationToken ct) =>
            Http.Json(await pools.ViewAsync(await pools.GetAsync(name, ct), ct), VesselJson.Wire.StoragePoolView));
        group.MapDelete("/{name}", async (string name, StoragePools pools, EventHub events, CancellationToken ct) =>
        {
            await pools.DeleteAsync(name, ct);
            events.Lifecycle("storage-pool-deleted", $"/1.0/storage-pools/{name}");
            return Results.Ok();
        });
    }
}
