using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Vessel.Engines.Qemu.Tests.Qga;

/// <summary>
/// A guest-agent peer on a temporary unix socket, speaking as qemu-ga does: a 0xFF byte drops the line read so far,
/// guest-sync-delimited is answered with 0xFF and {"return": id}, every other command goes to a handler that writes
/// the raw text it wants sent back (in UTF-8, but "\xff" is the byte 0xFF). <see cref="BeforeSync"/> is sent
/// ahead of the sync answer, as stale data in the channel would be. Records every line it received, and every byte.
/// </summary>
internal sealed class FakeGuestAgent : FakeSocketPeer
{
    private readonly Func<JsonElement, Func<string, Task>, Task> _handler;

    public FakeGuestAgent(Func<JsonElement, Func<string, Task>, Task> handler, string beforeSync = "") : base("qga.sock")
    {
        _handler = handler;
        BeforeSync = beforeSync;
        Start();
    }

    public string BeforeSync { get; }

    public List<string> Received { get; } = [];

    public MemoryStream Raw { get; } = new();

    private static byte[] Bytes(string text) =>
        [.. text.Split('\xff').Select(part => Encoding.UTF8.GetBytes(part)).Aggregate((all, part) => [.. all, 0xFF, .. part])];

    protected override async Task ServeAsync(NetworkStream stream)
    {
        var gate = new SemaphoreSlim(1, 1);
        async Task Send(string text)
        {
            await gate.WaitAsync();
            try
            {
                await stream.WriteAsync(Bytes(text));
            }
            finally
            {
                gate.Release();
            }
        }
        var line = new List<byte>();
        var buffer = new byte[65536];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            lock (Raw)
                Raw.Write(buffer, 0, read);
            foreach (var b in buffer.AsSpan(0, read).ToArray())
            {
                if (b == 0xFF)
                {
                    line.Clear();
                }
                else if (b != '\n')
                {
                    line.Add(b);
                }
                else
                {
                    var text = Encoding.UTF8.GetString([.. line]);
                    line.Clear();
                    lock (Received)
                        Received.Add(text);
                    var command = JsonDocument.Parse(text).RootElement.Clone();
                    if (command.GetProperty("execute").GetString() == "guest-sync-delimited")
                        await Send($"{BeforeSync}\xff{{\"return\": {command.GetProperty("arguments").GetProperty("id").GetInt64()}}}\n");
                    else
                        await _handler(command, Send);
                }
            }
        }
    }
}
