using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

public sealed class OperationsTests : IAsyncLifetime
{
    private readonly FakeDriver _engine = new();
    private TestDaemon _daemon = null!;

    public async Task InitializeAsync() => _daemon = await TestDaemon.StartAsync(_engine);

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private async Task<Operation> RunningImportAsync()
    {
        var operations = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync("/1.0/operations"), VesselJson.Wire.ListOperation);
        return operations.Single(o => o.Status == OperationStatus.Running);
    }

    /// <summary>Starts an upload whose body the test feeds by hand, and waits until its operation runs.</summary>
    private async Task<(Pipe Body, Task<HttpResponseMessage> Response, Operation Operation)> StartUploadAsync()
    {
        var body = new Pipe();
        var response = _daemon.Http.PostAsync("/1.0/images?alias=slow", new StreamContent(body.Reader.AsStream()));
        await body.Writer.WriteAsync(new byte[100_000]);
        Operation? running = null;
        for (var i = 0; i < 500 && running is null; i++)
        {
            try
            {
                running = await RunningImportAsync();
            }
            catch (InvalidOperationException)
            {
                await Task.Delay(10);
            }
        }
        Assert.NotNull(running);
        return (body, response, running);
    }

    [Fact]
    public async Task CancellingAnImport_EndsItCancelledAndLeavesNoStaging()
    {
        var (body, response, operation) = await StartUploadAsync();
        Assert.True(operation.MayCancel);

        var cancelled = await TestDaemon.ReadAsync(await _daemon.Http.DeleteAsync($"/1.0/operations/{operation.Id}"), VesselJson.Wire.Operation);
        await body.Writer.CompleteAsync();

        Assert.Equal(OperationStatus.Cancelled, cancelled.Status);
        Assert.Equal((HttpStatusCode)499, (await response).StatusCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_daemon.Options.ImagesDirectory, ".staging")));
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/images"));
    }

    [Fact]
    public async Task DaemonRestart_MarksTheInterruptedOperationFailed()
    {
        var (body, _, operation) = await StartUploadAsync();

        await _daemon.RestartAsync(_engine);
        await body.Writer.CompleteAsync();

        var after = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync($"/1.0/operations/{operation.Id}"), VesselJson.Wire.Operation);
        Assert.True(after.Status is OperationStatus.Failure or OperationStatus.Cancelled, $"status {after.Status}");
        Assert.Equal("[]", await _daemon.Http.GetStringAsync("/1.0/images"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_daemon.Options.ImagesDirectory, ".staging")));
    }

    [Fact]
    public async Task CancellingAnUncancellableOperation_Answers409()
    {
        await _daemon.ImportTarAsync("base");
        var hold = _engine.HoldOn("start");
        var launch = await _daemon.LaunchAsync("web1", "base");
        var operation = JsonSerializer.Deserialize(await launch.Content.ReadAsStringAsync(), VesselJson.Wire.Operation)!;

        var message = await TestDaemon.ErrorAsync(await _daemon.Http.DeleteAsync($"/1.0/operations/{operation.Id}"), HttpStatusCode.Conflict);
        hold.Release.SetResult();

        Assert.Equal($"operation {operation.Id} (Launching instance web1) cannot be cancelled", message);
    }

    [Fact]
    public async Task WaitWithTimeout_ReturnsTheRunningOperation()
    {
        await _daemon.ImportTarAsync("base");
        var hold = _engine.HoldOn("start");
        var launch = await _daemon.LaunchAsync("web1", "base");
        var operation = JsonSerializer.Deserialize(await launch.Content.ReadAsStringAsync(), VesselJson.Wire.Operation)!;

        var waited = await TestDaemon.ReadAsync(await _daemon.Http.GetAsync($"/1.0/operations/{operation.Id}/wait?timeout=0"), VesselJson.Wire.Operation);
        hold.Release.SetResult();

        Assert.Equal(OperationStatus.Running, waited.Status);
        Assert.Equal(OperationStatus.Success, (await TestDaemon.ReadAsync(
            await _daemon.Http.GetAsync($"/1.0/operations/{operation.Id}/wait"), VesselJson.Wire.Operation)).Status);
    }

    [Fact]
    public async Task UnknownOperation_Answers404()
    {
        Assert.Equal("operation nope not found", await TestDaemon.ErrorAsync(await _daemon.Http.GetAsync("/1.0/operations/nope"), HttpStatusCode.NotFound));
    }
}
