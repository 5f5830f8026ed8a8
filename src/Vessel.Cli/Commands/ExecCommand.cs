using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Vessel.Core.Api;

namespace Vessel.Cli.Commands;

/// <summary>vessel exec NAME [-t] [--env K=V]... [--cwd DIR] [--user UID] [--group GID] -- CMD...: the exit code is the command's.</summary>
internal static class ExecCommand
{
    private const string Usage = "vessel exec NAME [-t] [--env K=V]... [--cwd DIR] [--user UID] [--group GID] -- CMD...";

    public static async Task<int> RunAsync(ApiClient api, string[] args)
    {
        var a = Arguments.Parse(args, ["-t", "-T"], ["--env", "--cwd", "--user", "--group"]);
        if (a.Positionals.Count < 2)
            throw new UsageException($"usage: {Usage}");
        var request = new ExecPost
        {
            Command = a.Positionals[1..],
            Environment = a.Options("--env").Select(Arguments.KeyValue).ToDictionary(),
            Cwd = a.Option("--cwd"),
            User = Id(a, "--user"),
            Group = Id(a, "--group"),
            Terminal = a.Flag("-t"),
            Columns = a.Flag("-t") && !Console.IsOutputRedirected ? Console.WindowWidth : 0,
            Rows = a.Flag("-t") && !Console.IsOutputRedirected ? Console.WindowHeight : 0,
        };
        using var socket = api.ConnectWebSocket($"/1.0/instances/{a.Positionals[0]}/exec");
        // With -t the remote terminal does the echoing and line editing: ours passes every key through as typed.
        using var terminal = request.Terminal ? Vessel.Linux.RawTerminal.Enter(0) : null;
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(request, VesselJson.Wire.ExecPost), WebSocketMessageType.Text, true, CancellationToken.None);
        using var input = new InputSender(socket);
        _ = input.RunAsync();

        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();
        var buffer = new byte[65536];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            }
            catch (WebSocketException e)
            {
                throw new ApiException($"the exec session broke off: {e.Message}", 0);
            }
            if (result.MessageType == WebSocketMessageType.Close)
                throw new ApiException("vesseld closed the exec session without an exit code", 0);
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
                continue;
            var bytes = message.ToArray();
            message.SetLength(0);
            if (result.MessageType == WebSocketMessageType.Text)
            {
                var control = JsonSerializer.Deserialize(bytes, VesselJson.Wire.ExecControl)!;
                if (control.Type == "error")
                    throw new ApiException(control.Error ?? "exec failed", control.ErrorCode ?? 0);
                if (control.Type == "exit")
                    return control.Code ?? 1;
                if (control.Type == "input-at-start")
                    await input.EndIfInteractiveAsync();
                continue;
            }
            var target = bytes.Length > 0 && bytes[0] == 2 ? stderr : stdout;
            await target.WriteAsync(bytes.AsMemory(1));
            await target.FlushAsync();
        }
    }

    private static uint Id(Arguments a, string option) =>
        a.Option(option) is not { } text ? 0
        : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
        : throw new UsageException($"{option}: \"{text}\" is not a numeric id");

    /// <summary>Streams our stdin to the command; an empty stdin message says end-of-file.</summary>
    private sealed class InputSender(WebSocket socket) : IDisposable
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private bool _ended;

        public async Task RunAsync()
        {
            var stdin = Console.OpenStandardInput();
            var buffer = new byte[32768];
            try
            {
                int read;
                while ((read = await stdin.ReadAsync(buffer.AsMemory(1))) > 0)
                {
                    buffer[0] = 0;
                    if (!await SendAsync(buffer.AsMemory(0, read + 1)))
                        return;
                }
                await SendAsync(new byte[] { 0 });
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
            {
            }
        }

        /// <summary>
        /// The command gets its whole stdin when it starts (input-at-start): a terminal has nothing ready, so stdin ends
        /// now and the command starts; a pipe or a file is still read to its end.
        /// </summary>
        public async Task EndIfInteractiveAsync()
        {
            if (!Console.IsInputRedirected)
                await SendAsync(new byte[] { 0 });
        }

        /// <summary>Sends one stdin message unless stdin has ended; false once it has (an empty message ends it).</summary>
        private async Task<bool> SendAsync(ReadOnlyMemory<byte> message)
        {
            await _send.WaitAsync();
            try
            {
                if (_ended)
                    return false;
                _ended = message.Length == 1;
                await socket.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);
                return true;
            }
            finally
            {
                _send.Release();
            }
        }

        public void Dispose() => _send.Dispose();
    }
}
