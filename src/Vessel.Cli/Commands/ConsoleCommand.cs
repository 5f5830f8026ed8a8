using System.Net.WebSockets;
using Vessel.Linux;

namespace Vessel.Cli.Commands;

/// <summary>
/// vessel console NAME: attach to the console (Ctrl+a q detaches); --show-log prints what it printed lately.
/// With stdin not a terminal, what stdin holds is typed in and the output of the next second is shown.
/// </summary>
internal static class ConsoleCommand
{
    private const byte CtrlA = 0x01;

    public static async Task RunAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["--show-log"], []);
        a.ExpectPositionals(1, 1, "vessel console NAME [--show-log]");
        var name = a.Positionals[0];
        if (a.Flag("--show-log"))
        {
            using var response = await api.SendRawAsync(HttpMethod.Get, $"/1.0/instances/{name}/console/log", null);
            Console.Out.Write(await response.Content.ReadAsStringAsync());
            return;
        }
        using var socket = api.ConnectWebSocket($"/1.0/instances/{name}/console");
        using var terminal = RawTerminal.Enter(0);
        if (terminal is not null)
            await Console.Error.WriteAsync($"To detach from the console, press: <ctrl>+a q\r\n");
        var output = PrintAsync(socket);
        await TypeAsync(socket, interactive: terminal is not null);
        if (terminal is null)
            await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(1)));
        socket.Abort();
        await output;
    }

    private static async Task PrintAsync(WebSocket socket)
    {
        var stdout = Console.OpenStandardOutput();
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                    return;
                await stdout.WriteAsync(buffer.AsMemory(0, result.Count));
                await stdout.FlushAsync();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Detached or closed.
        }
    }

    /// <summary>Sends stdin until it ends or, on a terminal, until Ctrl+a q.</summary>
    private static async Task TypeAsync(WebSocket socket, bool interactive)
    {
        var stdin = Console.OpenStandardInput();
        var buffer = new byte[4096];
        var escape = false;
        int read;
        while (socket.State == WebSocketState.Open && (read = await stdin.ReadAsync(buffer)) > 0)
        {
            if (interactive)
            {
                for (var i = 0; i < read; i++)
                {
                    if (escape && buffer[i] == (byte)'q')
                        return;
                    escape = buffer[i] == CtrlA;
                }
            }
            await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, CancellationToken.None);
        }
    }
}
