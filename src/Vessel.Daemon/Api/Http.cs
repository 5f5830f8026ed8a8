using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization.Metadata;
using Vessel.Core;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Api;

/// <summary>Reading requests and writing answers the same way on every endpoint.</summary>
internal static partial class Http
{
    [GeneratedRegex("property '(.+?)' could not be mapped")]
    private static partial Regex UnknownProperty();

    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
    {
        if (request.ContentLength == 0)
            throw new BadRequestException("a JSON body is required");
        // A browser sends text/plain across sites without asking first; application/json it never sends unasked.
        if (!(request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new VesselException(415, $"the body must be sent as application/json, not {request.ContentType ?? "without a Content-Type"}");
        try
        {
            return await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted)
                ?? throw new BadRequestException("a JSON body is required, not null");
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"invalid JSON body: {Describe(e)}");
        }
    }

    /// <summary>Says what was wrong in the user's terms: the field, not the .NET type it maps to.</summary>
    private static string Describe(JsonException e)
    {
        if (UnknownProperty().Match(e.Message) is { Success: true } unknown)
            return $"unknown field \"{unknown.Groups[1].Value}\"";
        var field = e.Path is null or "$" ? null : e.Path.TrimStart('$', '.');
        if (field is not null && e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
            return $"{field}: not a valid value";
        var text = e.Message.Split(" Path: ")[0];
        return e.LineNumber is { } line ? $"{text} (line {line + 1}, byte {e.BytePositionInLine + 1})" : text;
    }

    public static IResult Json<T>(T value, JsonTypeInfo<T> type, int status = 200) => TypedResults.Json(value, type, statusCode: status);

    /// <summary>202 with the operation, as Incus answers every long action.</summary>
    public static IResult Accepted(Operation operation) =>
        new WithLocation(Results.Json(operation, VesselJson.Wire.Operation, statusCode: 202), $"/1.0/operations/{operation.Id}");

    /// <summary>A WebSocket is opened by GET over HTTP/1.1 and by CONNECT over HTTP/2 (RFC 8441), as browsers do over TLS.</summary>
    public static readonly string[] WebSocketMethods = ["GET", "CONNECT"];

    public static bool Flag(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var value) && value.ToString() is "1" or "true" or "";

    public static Task WriteErrorAsync(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        // WebSocket clients see the headers of a refused upgrade but not its body.
        response.Headers["X-Vessel-Error"] = new string([.. message.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        return response.WriteAsJsonAsync(new ErrorResponse(message, status), VesselJson.Wire.ErrorResponse);
    }

    private sealed class WithLocation(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
