using System.Text.Json.Nodes;

namespace Vessel.Engines.Qemu.Qga;

public sealed partial class GuestAgentClient
{
    /// <summary>guest-file-open: MODE as for fopen ("r", "w", "a"…); returns the agent's handle.</summary>
    public async Task<long> OpenFileAsync(string path, string mode, CancellationToken cancellationToken) =>
        (await ExecuteAsync("guest-file-open", new JsonObject { ["path"] = path, ["mode"] = mode }, cancellationToken: cancellationToken)).GetInt64();

    /// <summary>guest-file-read of up to COUNT bytes; Eof is true once the file has no more.</summary>
    public async Task<(byte[] Data, bool Eof)> ReadFileAsync(long handle, int count, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync("guest-file-read", new JsonObject { ["handle"] = handle, ["count"] = count }, cancellationToken: cancellationToken);
        return (Bytes(result, "buf-b64"), result.GetProperty("eof").GetBoolean());
    }

    /// <summary>guest-file-write of all of DATA (the agent writes a buffer whole or fails).</summary>
    public async Task WriteFileAsync(long handle, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync("guest-file-write", new JsonObject { ["handle"] = handle, ["buf-b64"] = Convert.ToBase64String(data.Span) },
            cancellationToken: cancellationToken);
        var written = result.GetProperty("count").GetInt32();
        if (written != data.Length)
            throw new IOException($"the guest agent wrote {written} of {data.Length} bytes");
    }

    public async Task CloseFileAsync(long handle, CancellationToken cancellationToken) =>
        await ExecuteAsync("guest-file-close", new JsonObject { ["handle"] = handle }, cancellationToken: cancellationToken);

    public async Task PingAsync(CancellationToken cancellationToken) =>
        await ExecuteAsync("guest-ping", cancellationToken: cancellationToken);
}
