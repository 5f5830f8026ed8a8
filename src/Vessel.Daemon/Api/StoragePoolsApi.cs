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
        group.MapPatch("/{name}", async (string name, HttpRequest request, StoragePools pools, EventHub events, CancellationToken ct) =>
        {
            var body = await Http.ReadJsonAsync(request, VesselJson.Wire.StoragePoolPatch);
            var pool = await pools.UpdateAsync(name, body, ct);
            events.Lifecycle("storage-pool-updated", $"/1.0/storage-pools/{pool.Name}");
            return Http.Json(await pools.ViewAsync(pool, ct), VesselJson.Wire.StoragePoolView);
        });
        group.MapDelete("/{name}", async (string name, StoragePools pools, EventHub events, CancellationToken ct) =>
        {
            await pools.DeleteAsync(name, ct);
            events.Lifecycle("storage-pool-deleted", $"/1.0/storage-pools/{name}");
            return Results.Ok();
        });
        MapVolumes(group.MapGroup("/{pool}/volumes"));
    }

    /// <summary>Custom volumes, at Incus's paths: /1.0/storage-pools/POOL/volumes and …/volumes/custom/NAME.</summary>
    private static void MapVolumes(RouteGroupBuilder group)
    {
        group.MapGet("", async (string pool, StorageVolumes volumes, CancellationToken ct) =>
            Http.Json(await volumes.ListAsync(pool, ct), VesselJson.Wire.ListStorageVolumeView));
        group.MapPost("", async (string pool, HttpRequest request, StorageVolumes volumes, EventHub events, CancellationToken ct) =>
        {
            var body = await Http.ReadJsonAsync(request, VesselJson.Wire.StorageVolumePost);
            var volume = await volumes.CreateAsync(pool, body, ct);
            events.Lifecycle("storage-volume-created", StorageVolumes.Path(volume.Pool, volume.Name));
            return Http.Json(await volumes.ViewAsync(volume, ct), VesselJson.Wire.StorageVolumeView, 201);
        });
        group.MapGet("/custom/{name}", async (string pool, string name, StorageVolumes volumes, CancellationToken ct) =>
            Http.Json(await volumes.ViewWithUsageAsync(await volumes.GetAsync(pool, name, ct), ct), VesselJson.Wire.StorageVolumeView));
        group.MapPatch("/custom/{name}", async (string pool, string name, HttpRequest request, StorageVolumes volumes, EventHub events, CancellationToken ct) =>
        {
            var body = await Http.ReadJsonAsync(request, VesselJson.Wire.StorageVolumePatch);
            var volume = await volumes.UpdateAsync(pool, name, body, ct);
            events.Lifecycle("storage-volume-updated", StorageVolumes.Path(volume.Pool, volume.Name));
            return Http.Json(await volumes.ViewAsync(volume, ct), VesselJson.Wire.StorageVolumeView);
        });
        group.MapDelete("/custom/{name}", async (string pool, string name, StorageVolumes volumes, EventHub events, CancellationToken ct) =>
        {
            await volumes.DeleteAsync(pool, name, ct);
            events.Lifecycle("storage-volume-deleted", StorageVolumes.Path(pool, name));
            return Results.Ok();
        });
    }
}
