using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Daemon.Events;

namespace Vessel.Daemon.Api;

/// <summary>/1.0/events: lifecycle and operation events as server-sent events, one JSON object per event.</summary>
internal static class EventsApi
{
    private static readonly string[] Types = ["operation", "lifecycle"];

    public static void Map(IEndpointRouteBuilder api) => api.MapGet("/events", async (HttpContext context, EventHub hub, IHostApplicationLifetime lifetime) =>
    {
        var wanted = context.Request.Query["type"].FirstOrDefault()?.Split(',') ?? Types;
        foreach (var type in wanted.Where(t => !Types.Contains(t)))
            throw new BadRequestException($"type: \"{type}\" is not an event type (operation, lifecycle)");

        // A stream ends when its client leaves or the daemon stops (shutdown would otherwise wait for every open stream).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = ended.Token;
        var events = hub.Subscribe(ct);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.WriteAsync(": vessel events\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
        try
        {
            await foreach (var e in events.ReadAllAsync(ct))
            {
                if (!wanted.Contains(e.Type))
                    continue;
                await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(e, VesselJson.Wire.Event)}\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    });
}
