using System.Net.WebSockets;
using Vessel.Core;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>
/// /1.0/instances/{name}/console: a WebSocket whose binary messages are the console's bytes both ways;
/// /1.0/instances/{name}/console/log: what the console printed lately, as text.
/// </summary>
internal static class ConsoleApi
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/instances/{name}/console/log", async (string name, InstanceService instances, CancellationToken ct) =>
            Results.Text(await instances.ReadConsoleLogAsync(name, ct), "text/plain; charset=utf-8"));

        api.MapGet("/instances/{name}/console", async (string name, HttpContext context, InstanceService instances) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
                throw new BadRequestException("the console needs a WebSocket connection");
            await using var console = await instances.AttachConsoleAsync(name, context.RequestAborted); // errors before the upgrade
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            using var done = new CancellationTokenSource();
            var toClient = CopyToSocketAsync(console, socket, done.Token);
            var fromClient = CopyFromSocketAsync(socket, console, done.Token);
            await Task.WhenAny(toClient, fromClient);
            await done.CancelAsync();
            if (socket.State == WebSocketState.Open)
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        });
    }

    private static async Task CopyToSocketAsync(Stream console, WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await console.ReadAsync(buffer, ct)) > 0)
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, ct);
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException)
        {
        }
    }

    private static async Task CopyFromSocketAsync(WebSocket socket, Stream console, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                    return;
                await console.WriteAsync(buffer.AsMemory(0, result.Count), ct);
            }
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException)
        {
        }
    }
}
