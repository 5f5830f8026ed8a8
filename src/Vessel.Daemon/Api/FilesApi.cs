using Microsoft.AspNetCore.Http.Features;
using Vessel.Core.Drivers;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>
/// /1.0/instances/{name}/files?path=/abs/path: GET answers the file's bytes; POST writes the body into the file, with
/// the optional headers X-Vessel-Mode (octal), X-Vessel-Uid and X-Vessel-Gid (default 644, root, root).
/// </summary>
internal static class FilesApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/instances/{name}/files", async (string name, HttpContext context, InstanceService instances) =>
        {
            await using var file = await instances.OpenFileAsync(name, context.Request.Query["path"].FirstOrDefault(), context.RequestAborted);
            context.Response.ContentType = "application/octet-stream";
            // Chunked: a read that fails halfway ends the response without its last chunk, which the client sees as an error.
            await file.CopyToAsync(context.Response.Body, context.RequestAborted);
        });

        api.MapPost("/instances/{name}/files", async (string name, HttpContext context, InstanceService instances) =>
        {
            var headers = context.Request.Headers;
            var file = new InstanceFile(
                InstanceFile.ParseMode("X-Vessel-Mode", headers["X-Vessel-Mode"].FirstOrDefault()) ?? InstanceFile.Default.Mode,
                InstanceFile.ParseId("X-Vessel-Uid", headers["X-Vessel-Uid"].FirstOrDefault()) ?? 0,
                InstanceFile.ParseId("X-Vessel-Gid", headers["X-Vessel-Gid"].FirstOrDefault()) ?? 0);
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = null;
            await instances.WriteFileAsync(name, context.Request.Query["path"].FirstOrDefault(), context.Request.Body, file, context.RequestAborted);
            return Results.Ok();
        });
    }
}
