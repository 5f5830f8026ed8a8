using Microsoft.AspNetCore.Http.Features;
using Vessel.Core.Api;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>
/// GET /1.0/instances/{name}/backup (the backup file, streamed; a failure once it is on its way closes the connection
/// before the end of the body, and the daemon's log says why) and POST /1.0/instances/import (one back).
/// </summary>
internal static class BackupsApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/instances/{name}/backup", async (string name, HttpContext context, InstanceService service, CancellationToken ct) =>
        {
            var compression = context.Request.Query["compression"].FirstOrDefault() ?? "zstd";
            if (compression is not ("zstd" or "none"))
                throw new Vessel.Core.BadRequestException($"compression: \"{compression}\" is not zstd or none");
            context.Response.ContentType = "application/octet-stream";
            await service.ExportAsync(name, Http.Flag(context.Request, "instance-only"), compression == "zstd", Http.Flag(context.Request, "incremental"),
                context.Response.Body, ct);
        });
        api.MapPost("/instances/import", async (HttpContext context, InstanceService service, CancellationToken ct) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = null;
            var query = context.Request.Query;
            var instance = await service.ImportAsync(context.Request.Body, query["name"].FirstOrDefault(), query["pool"].FirstOrDefault(), ct);
            return Http.Json(instance, VesselJson.Wire.Instance, 201);
        });
    }
}
