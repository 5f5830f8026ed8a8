using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vessel.Engines.Qemu.Qga;

/// <summary>What guest-exec-status says about a process guest-exec started. The output arrives whole once it has
/// exited (qemu-ga buffers it, up to 16 MiB a stream, and says when it cut one short).</summary>
public sealed record GuestExecStatus(bool Exited, int? ExitCode, int? Signal, byte[] Output, byte[] Error, bool OutputTruncated, bool ErrorTruncated);

public sealed partial class GuestAgentClient
{
    /// <summary>
    /// guest-exec: starts PATH with ARGUMENTS (argv[1..]) and ENVIRONMENT ("K=V", the whole environment) in the guest
    /// and returns its pid there. <paramref name="input"/>, when given, is all of its stdin: the agent writes it to a
    /// pipe and closes it; the agent has no way to pass more later.
    /// </summary>
    public async Task<long> ExecAsync(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment, ReadOnlyMemory<byte>? input,
        bool captureOutput, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["path"] = path,
            ["arg"] = new JsonArray([.. arguments.Select(a => JsonValue.Create(a))]),
            ["env"] = new JsonArray([.. environment.Select(e => JsonValue.Create(e))]),
            ["capture-output"] = captureOutput,
        };
        if (input is { } data)
            request["input-data"] = Convert.ToBase64String(data.Span);
        var result = await ExecuteAsync("guest-exec", request, cancellationToken: cancellationToken);
        return result.GetProperty("pid").GetInt64();
    }

    public async Task<GuestExecStatus> ExecStatusAsync(long pid, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync("guest-exec-status", new JsonObject { ["pid"] = pid }, cancellationToken: cancellationToken);
        return new GuestExecStatus(
            result.GetProperty("exited").GetBoolean(),
            Int(result, "exitcode"),
            Int(result, "signal"),
            Bytes(result, "out-data"),
            Bytes(result, "err-data"),
            result.TryGetProperty("out-truncated", out var outTruncated) && outTruncated.GetBoolean(),
            result.TryGetProperty("err-truncated", out var errTruncated) && errTruncated.GetBoolean());
    }

    private static int? Int(JsonElement result, string name) =>
        result.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

    private static byte[] Bytes(JsonElement result, string name) =>
        result.TryGetProperty(name, out var value) && value.GetString() is { } text ? Convert.FromBase64String(text) : [];
}
