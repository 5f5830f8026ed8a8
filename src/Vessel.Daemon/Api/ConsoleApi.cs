using System.Net.WebSockets;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>
/// /1.0/instances/{name}/console: a WebSocket whose binary messages are the console's bytes both ways, and whose text
/// messages {"type":"resize","columns":C,"rows":R} set the terminal's size;
/// /1.0/instances/{name}/console/log: what the console printed lately, as text;
/// /1.0/instances/{name}/vnc: a WebSocket carrying the graphical display's RFB bytes both ways, as noVNC speaks it.
/// </summary>
internal static class ConsoleApi
{
    private const int MaxControlMessage = 4096;

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/instances/{name}/console/log", async (string name, InstanceService instances, CancellationToken ct) =>
            Results.Text(await instances.ReadConsoleLogAsync(name, ct), "text/plain; charset=utf-8"));

        api.MapMethods("/instances/{name}/console", Http.WebSocketMethods, (string name, HttpContext context, InstanceService instances) =>
            RelayAsync(context, "the console", ct => instances.AttachConsoleAsync(name, ct), control =>
            {
                if (control is { Type: "resize", Columns: > 0 and var columns, Rows: > 0 and var rows })
                    return instances.ResizeConsoleAsync(name, columns, rows, CancellationToken.None);
                return Task.CompletedTask;
            }));

        api.MapMethods("/instances/{name}/vnc", Http.WebSocketMethods, (string name, HttpContext context, InstanceService instances) =>
            RelayAsync(context, "the graphical console", ct => instances.AttachDisplayAsync(name, ct), _ => Task.CompletedTask));
    }

    private static async Task RelayAsync(HttpContext context, string what, Func<CancellationToken, Task<Stream>> attach, Func<ExecControl, Task> onControl)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            throw new BadRequestException($"{what} needs a WebSocket connection");
        await using var stream = await attach(context.RequestAborted); // errors answer the upgrade request itself
        // noVNC asks for the "binary" subprotocol; a browser drops a socket whose server ignores the one it asked for.
        var protocol = context.WebSockets.WebSocketRequestedProtocols.Contains("binary") ? "binary" : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol);
        using var done = new CancellationTokenSource();
        var toClient = CopyToSocketAsync(stream, socket, done.Token);
        var fromClient = CopyFromSocketAsync(socket, stream, onControl, done.Token);
        await Task.WhenAny(toClient, fromClient);
        await done.CancelAsync();
        if (socket.State == WebSocketState.Open)
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    private static async Task CopyToSocketAsync(Stream from, WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, ct);
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException)
        {
        }
    }

    private static async Task CopyFromSocketAsync(WebSocket socket, Stream to, Func<ExecControl, Task> onControl, CancellationToken ct)
    {
        var buffer = new byte[65536];
        var text = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                    return;
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await to.WriteAsync(buffer.AsMemory(0, result.Count), ct);
                    continue;
                }
                text.Write(buffer, 0, result.Count);
                if (text.Length > MaxControlMessage)
                    return; // no control message is this long: the client is broken or hostile
                if (!result.EndOfMessage)
                    continue;
                try
                {
                    if (JsonSerializer.Deserialize(text.ToArray(), VesselJson.Wire.ExecControl) is { } control)
                        await onControl(control);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A control message that cannot be read or applied (a terminal that went away) does not end the session.
                }
                text.SetLength(0);
            }
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException)
        {
        }
    }
}
