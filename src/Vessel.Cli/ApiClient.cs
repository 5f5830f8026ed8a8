using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Cli;

/// <summary>HTTP over the daemon's unix socket. Every non-2xx answer becomes an ApiException with the daemon's message.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public string SocketPath { get; }

    public ApiClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw new ApiException($"cannot reach vesseld at {socketPath}: {e.Message} (is it running? see vessel doctor)", 0);
                }
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://vessel"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public static string DefaultSocket() =>
        Environment.GetEnvironmentVariable("VESSEL_SOCKET")
        ?? Path.Combine(Environment.GetEnvironmentVariable("VESSEL_RUN_DIR") ?? "/run/vessel", "vessel.sock");

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type) => SendAsync(HttpMethod.Get, path, null, type);

    public async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type)
    {
        using var response = await SendRawAsync(method, path, content);
        await using var body = await response.Content.ReadAsStreamAsync();
        return await JsonSerializer.DeserializeAsync(body, type) ?? throw new ApiException($"empty answer from {path}", (int)response.StatusCode);
    }

    public async Task SendAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        using var response = await SendRawAsync(method, path, content);
    }

    public static HttpContent Json<T>(T value, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Sends and checks the status; the caller owns the response and may stream its body.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion);
        }
        catch (HttpRequestException e) when (e.InnerException is ApiException api)
        {
            throw api;
        }
        catch (HttpRequestException e)
        {
            throw new ApiException($"vesseld at {SocketPath} did not answer: {e.Message}", 0);
        }
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            string message;
            try
            {
                message = JsonSerializer.Deserialize(text, VesselJson.Wire.ErrorResponse)?.Error ?? text;
            }
            catch (JsonException)
            {
                message = $"{(int)response.StatusCode} {response.ReasonPhrase}: {text}";
            }
            throw new ApiException(message, (int)response.StatusCode);
        }
    }

    /// <summary>Waits for the operation to end; a failed or cancelled operation is an error with its message.</summary>
    public async Task<Operation> WaitAsync(Operation operation)
    {
        var final = await GetAsync($"/1.0/operations/{operation.Id}/wait?timeout=-1", VesselJson.Wire.Operation);
        return final.Status switch
        {
            OperationStatus.Success => final,
            OperationStatus.Cancelled => throw new ApiException($"{final.Description}: cancelled", 0),
            _ => throw new ApiException(final.Error ?? $"{final.Description} ended {final.Status}", 0),
        };
    }

    /// <summary>A WebSocket to the daemon over the same unix socket; an HTTP error answer becomes an ApiException.</summary>
    public async Task<System.Net.WebSockets.ClientWebSocket> ConnectWebSocketAsync(string path)
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(new Uri($"ws://vessel{path}"), _http, CancellationToken.None);
            return socket;
        }
        catch (System.Net.WebSockets.WebSocketException) when (socket.HttpStatusCode != 0)
        {
            var status = (int)socket.HttpStatusCode;
            var message = socket.HttpResponseHeaders?.TryGetValue("X-Vessel-Error", out var error) == true
                ? string.Join(' ', error)
                : $"{path}: the daemon refused the WebSocket with {status}";
            socket.Dispose();
            throw new ApiException(message, status);
        }
        catch (System.Net.WebSockets.WebSocketException e) when (e.InnerException is HttpRequestException { InnerException: ApiException api })
        {
            socket.Dispose();
            throw api;
        }
    }

    public void Dispose() => _http.Dispose();
}
