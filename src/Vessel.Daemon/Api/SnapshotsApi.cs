using Vessel.Core.Api;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/instances/{name}/snapshots.</summary>
internal static class SnapshotsApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/instances/{name}/snapshots");
        group.MapGet("", async (string name, InstanceService service, CancellationToken ct) =>
            Http.Json([.. await service.ListSnapshotsAsync(name, ct)], VesselJson.Wire.ListSnapshot));
        group.MapPost("", async (string name, HttpRequest request, InstanceService service, CancellationToken ct) =>
            Http.Accepted(await service.CreateSnapshotAsync(name, await Http.ReadJsonAsync(request, VesselJson.Wire.SnapshotsPost), ct)));
        group.MapGet("/{snapshot}", async (string name, string snapshot, InstanceService service, CancellationToken ct) =>
            Http.Json(await service.GetSnapshotAsync(name, snapshot, ct), VesselJson.Wire.Snapshot));
        group.MapDelete("/{snapshot}", async (string name, string snapshot, InstanceService service, CancellationToken ct) =>
            Http.Accepted(await service.DeleteSnapshotAsync(name, snapshot, ct)));
        group.MapPost("/{snapshot}/restore", async (string name, string snapshot, InstanceService service, CancellationToken ct) =>
            Http.Accepted(await service.RestoreSnapshotAsync(name, snapshot, ct)));
    }
}
