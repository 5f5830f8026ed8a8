using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vessel.Engines.Qemu.Qmp;

/// <summary>
/// The wire format QEMU's monitor (QMP) and its guest agent (QGA) share: a command is one JSON object
/// {"execute": …, "arguments": …, "id": …} on a line; an answer carries the id back with "return" or "error".
/// </summary>
internal static class QapiWire
{
    /// <summary>The bytes of one command and a newline; <paramref name="id"/> null leaves the id out.</summary>
    public static byte[] Encode(string command, JsonObject? arguments, long? id)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", command);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments");
                arguments.WriteTo(writer);
            }
            if (id is { } value)
                writer.WriteNumber("id", value);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>
    /// Connects to a unix socket and runs the protocol's handshake, both within the timeout: a peer that does not
    /// answer in time is a TimeoutException with <paramref name="timedOut"/>'s message. On any failure the client is
    /// disposed (or the bare socket closed, before there is one).
    /// </summary>
    public static async Task<T> ConnectAsync<T>(string socketPath, TimeSpan timeout, Func<Socket, T> create,
        Func<T, CancellationToken, Task> handshake, string timedOut, CancellationToken cancellationToken) where T : class, IAsyncDisposable
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        T? client = null;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token);
                client = create(socket);
                await handshake(client, deadline.Token);
                return client;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(timedOut);
            }
        }
        catch
        {
            if (client is not null)
                await client.DisposeAsync();
            else
                socket.Dispose();
            throw;
        }
    }

    /// <summary>An "error" member's class and description; the raw line stands in for a missing description.</summary>
    public static (string Class, string Description) Error(JsonElement error, string line) =>
        (error.TryGetProperty("class", out var errorClass) ? errorClass.GetString() ?? "" : "",
            error.TryGetProperty("desc", out var description) ? description.GetString() ?? "" : Truncate(line));

    public static string Truncate(string text) => text.Length <= 200 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..200]}…");
}
