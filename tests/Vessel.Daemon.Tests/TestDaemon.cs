using Microsoft.AspNetCore.Builder;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>A real daemon (real store, pool and API) in a temp directory, on its own unix socket, with test engines.</summary>
public sealed class TestDaemon : IAsyncDisposable
{
    private WebApplication? _app;
    private TimeProvider? _time;

    public string Root { get; }
    public DaemonOptions Options { get; }
    public HttpClient Http { get; private set; } = null!;
    /// <summary>The host's networking as the daemon sees it; it outlives restarts, as a host does.</summary>
    public FakeNetworkDriver Network { get; } = new();

    private TestDaemon(string root)
    {
        Root = root;
        Options = new DaemonOptions(Path.Combine(root, "state"), Path.Combine(root, "run"), Path.Combine(root, "log"), null, Path.Combine(root, "ui"));
    }

    public static Task<TestDaemon> StartAsync(params IInstanceDriver[] engines) => StartAsync(null, engines);

    /// <summary>A daemon on the given clock (for scheduled snapshots and expiries), kept across restarts.</summary>
    public static async Task<TestDaemon> StartAsync(TimeProvider? time, params IInstanceDriver[] engines)
    {
        var daemon = new TestDaemon(Directory.CreateTempSubdirectory("vessel-daemon-test-").FullName) { _time = time };
        await daemon.RestartAsync(engines);
        return daemon;
    }

    /// <summary>The running daemon's services.</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>Stops this daemon (if running) and starts a new one on the same directories, as after a crash.</summary>
    public async Task RestartAsync(params IInstanceDriver[] engines)
    {
        await StopAsync();
        Directory.CreateDirectory(Options.RunDirectory);
        Directory.CreateDirectory(Options.StateDirectory);
        _app = DaemonHost.Build(Options, engines, Network, _time);
        await DaemonHost.ReconcileAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Options.SocketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://vessel") };
    }

    private async Task StopAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, string json) =>
        Http.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        (await response.Content.ReadFromJsonAsync(type))!;

    /// <summary>Asserts the status and returns the error message of the one error shape.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = JsonSerializer.Deserialize(body, VesselJson.Wire.ErrorResponse)!;
        Assert.Equal((int)status, error.ErrorCode);
        return error.Error;
    }

    public async Task<Image> ImportTarAsync(string alias)
    {
        var response = await PostTarAsync(alias);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response, VesselJson.Wire.Image);
    }

    /// <summary>Imports a rootfs tarball of its own (new bytes every time) under the alias, and answers as the API does.</summary>
    public async Task<HttpResponseMessage> PostTarAsync(string alias)
    {
        var tar = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(tar, leaveOpen: true))
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "etc/hostname")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(alias + Guid.NewGuid())),
            };
            await writer.WriteEntryAsync(entry);
        }
        return await Http.PostAsync($"/1.0/images?alias={alias}", new ByteArrayContent(tar.ToArray()));
    }

    /// <summary>Waits for the operation a 202 answer carries and returns how it ended.</summary>
    public async Task<Operation> WaitAsync(HttpResponseMessage accepted)
    {
        var body = await accepted.Content.ReadAsStringAsync();
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)accepted.StatusCode}: {body}");
        var operation = JsonSerializer.Deserialize(body, VesselJson.Wire.Operation)!;
        Assert.Equal($"/1.0/operations/{operation.Id}", accepted.Headers.Location?.ToString());
        var done = await Http.GetAsync($"/1.0/operations/{operation.Id}/wait?timeout=30");
        return await ReadAsync(done, VesselJson.Wire.Operation);
    }

    public async Task<Instance> GetInstanceAsync(string name) =>
        await ReadAsync(await Http.GetAsync($"/1.0/instances/{name}"), VesselJson.Wire.Instance);

    public Task<HttpResponseMessage> LaunchAsync(string name, string image, string extra = "") =>
        SendJsonAsync(HttpMethod.Post, "/1.0/instances",
            $$"""{"name": "{{name}}", "source": {"alias": "{{image}}"}, "start": true {{extra}}}""");

    public Task<HttpResponseMessage> ActAsync(string name, string action, bool force = false) =>
        SendJsonAsync(HttpMethod.Put, $"/1.0/instances/{name}/state", $$"""{"action": "{{action}}", "force": {{(force ? "true" : "false")}}}""");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(Root, recursive: true);
    }
}
