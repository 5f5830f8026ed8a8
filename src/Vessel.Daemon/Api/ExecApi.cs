using System.Net.WebSockets;
using System.Text.Json;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Daemon.Instances;

namespace Vessel.Daemon.Api;

/// <summary>
/// /1.0/instances/{name}/exec over a WebSocket: the first text message is the ExecPost, then binary messages
/// carry stdin one way and stdout/stderr the other, and a final text message gives the exit code.
/// </summary>
internal static class ExecApi
{
    private const byte Stdin = 0, Stdout = 1, Stderr = 2;

    public static void Map(IEndpointRouteBuilder api) => api.MapMethods("/instances/{name}/exec", Http.WebSocketMethods, async (string name, HttpContext context,
        InstanceService instances, ILoggerFactory logs) =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
            throw new BadRequestException("exec needs a WebSocket connection");
        await instances.GetAsync(name, context.RequestAborted); // 404 before the upgrade
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        try
        {
            var post = JsonSerializer.Deserialize(await ReceiveTextAsync(socket), VesselJson.Wire.ExecPost)
                ?? throw new BadRequestException("the first message must be the exec request");
            var request = new ExecRequest
            {
                Command = post.Command ?? throw new BadRequestException("command: required"),
                Environment = post.Environment ?? [],
                WorkingDirectory = post.Cwd,
                User = post.User,
                Group = post.Group,
                Terminal = post.Terminal,
            };
            await using var session = await instances.ExecAsync(name, request, context.RequestAborted);
            if (post.Terminal && post.Columns > 0 && post.Rows > 0)
                session.Resize(post.Columns, post.Rows);
            if (session.InputAtStart)
                await SendControlAsync(socket, new ExecControl { Type = "input-at-start" });
            await RelayAsync(socket, session);
        }
        catch (Exception e) when (socket.State == WebSocketState.Open)
        {
            var status = e switch { VesselException v => v.StatusCode, JsonException or ArgumentException => 400, _ => 500 };
            if (status == 500)
                Log.UnexpectedError(logs.CreateLogger("Vessel.Daemon.Exec"), e, "EXEC", context.Request.Path);
            await SendControlAsync(socket, new ExecControl { Type = "error", Error = e.Message, ErrorCode = status });
        }
        if (socket.State == WebSocketState.Open)
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    });

    private static async Task RelayAsync(WebSocket socket, IExecSession session)
    {
        var send = new SemaphoreSlim(1, 1);
        var stdout = PumpAsync(session.Output, Stdout, socket, send);
        var stderr = session.Error is null ? Task.CompletedTask : PumpAsync(session.Error, Stderr, socket, send);
        var input = ReceiveInputAsync(socket, session);
        if (await Task.WhenAny(session.Exited, input) == input && !session.Exited.IsCompleted)
            session.Kill(); // the client went away: nobody is left to read the output or send input
        var code = await session.Exited;
        // Output written just before the exit is still in the pipes; a terminal may stay open in children.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2)));
        await send.WaitAsync();
        try
        {
            await SendControlAsync(socket, new ExecControl { Type = "exit", Code = code });
        }
        finally
        {
            send.Release();
        }
    }

    private static async Task PumpAsync(Stream from, byte channel, WebSocket socket, SemaphoreSlim send)
    {
        var buffer = new byte[32768];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer.AsMemory(1, buffer.Length - 1))) > 0)
            {
                buffer[0] = channel;
                await send.WaitAsync();
                try
                {
                    await socket.SendAsync(buffer.AsMemory(0, read + 1), WebSocketMessageType.Binary, true, CancellationToken.None);
                }
                finally
                {
                    send.Release();
                }
            }
        }
        catch (IOException)
        {
            // A terminal reports EIO once nothing holds its other side: that is its end of file.
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            // The client went away.
        }
    }

    private static async Task ReceiveInputAsync(WebSocket socket, IExecSession session)
    {
        var buffer = new byte[32768];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var message = await ReceiveAsync(socket, buffer);
                if (message is null)
                    break;
                var (type, bytes) = message.Value;
                if (type == WebSocketMessageType.Text)
                {
                    var control = JsonSerializer.Deserialize(bytes.Span, VesselJson.Wire.ExecControl);
                    if (control is { Type: "resize", Columns: > 0 and var columns, Rows: > 0 and var rows })
                        session.Resize(columns, rows);
                }
                else if (bytes.Length > 0 && bytes.Span[0] == Stdin)
                {
                    if (bytes.Length == 1)
                    {
                        // End of input: close the pipe, or on a terminal type ^D (closing it would end the output too).
                        if (session.Error is null)
                            await session.Input.WriteAsync(new byte[] { 4 });
                        else
                            await session.Input.DisposeAsync();
                        continue;
                    }
                    await session.Input.WriteAsync(bytes[1..]);
                    await session.Input.FlushAsync();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or JsonException)
        {
        }
    }

    /// <summary>One whole message, or null when the peer closed.</summary>
    private static async Task<(WebSocketMessageType Type, ReadOnlyMemory<byte> Bytes)?> ReceiveAsync(WebSocket socket, byte[] buffer)
    {
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
                return null;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
                return (result.MessageType, message.ToArray());
        }
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var message = await ReceiveAsync(socket, new byte[65536]) ?? throw new BadRequestException("the connection closed before the exec request");
        return System.Text.Encoding.UTF8.GetString(message.Bytes.Span);
    }

    private static Task SendControlAsync(WebSocket socket, ExecControl control) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(control, VesselJson.Wire.ExecControl), WebSocketMessageType.Text, true, CancellationToken.None);
}
