using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
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
            ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new NetworkStream(Connect(), ownsSocket: true)),
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://vessel"), Timeout = Timeout.InfiniteTimeSpan };
    }

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ApiException($"cannot reach vesseld at {SocketPath}: {e.Message} (is it running? see vessel doctor)", 0);
        }
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
            // Sent synchronously: the asynchronous path hops between the runtime's threads (a hundred context switches for
            // one request), which a loaded host makes each wait for a CPU. A CLI command has nothing else to do meanwhile.
            response = _http.Send(request, completion);
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

    /// <summary>
    /// A WebSocket to the daemon over the same unix socket; an HTTP error answer becomes an ApiException. The handshake
    /// is written here rather than by ClientWebSocket: HttpClient's first request costs a CLI start milliseconds, and
    /// exec is measured against runc exec. No proxy stands between us and vesseld's root-only socket, so the key is
    /// only a nonce and Sec-WebSocket-Accept is not checked.
    /// </summary>
    public WebSocket ConnectWebSocket(string path)
    {
        var socket = Connect();
        try
        {
            var nonce = new byte[16];
            Random.Shared.NextBytes(nonce);
            var key = Convert.ToBase64String(nonce);
            socket.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: vessel\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            var head = ReadHead(socket);
            var status = head.Length > 12 && int.TryParse(head.AsSpan(9, 3), out var code) ? code : 0;
            if (status != 101)
            {
                var error = head.Split("\r\n").FirstOrDefault(line => line.StartsWith("X-Vessel-Error:", StringComparison.OrdinalIgnoreCase));
                throw new ApiException(error?["X-Vessel-Error:".Length..].Trim() ?? $"{path}: the daemon refused the WebSocket with {status}", status);
            }
            return WebSocket.CreateFromStream(new NetworkStream(socket, ownsSocket: true), new WebSocketCreationOptions { IsServer = false });
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The status line and headers, read a byte at a time: what follows them is the WebSocket's.</summary>
    private string ReadHead(Socket socket)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (socket.Receive(one) == 0 || head.Count > 65536)
                throw new ApiException($"vesseld at {SocketPath} ended the WebSocket handshake early", 0);
            head.Add(one[0]);
        }
        return Encoding.ASCII.GetString([.. head]);
    }

    public void Dispose() => _http.Dispose();
}
