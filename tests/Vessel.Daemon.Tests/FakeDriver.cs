using System.Collections.Concurrent;
using Vessel.Core;
using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Daemon.Tests;

/// <summary>
/// A test-only engine that keeps its "running" instances in memory, so the daemon's lifecycle, operations
/// and reconciliation can be tested without a real runtime. It can be told to fail or to hold an action.
/// </summary>
public sealed class FakeDriver(InstanceType type = InstanceType.Container) : IInstanceDriver
{
    public ConcurrentDictionary<string, InstanceStatus> Actual { get; } = new();
    public ConcurrentQueue<string> Calls { get; } = new();
    public string? FailOn { get; set; }
    public TaskCompletionSource? HoldStart { get; set; }

    public InstanceType Type => type;

    public DriverInfo Probe() => new("fake", "1", true, "test engine");

    private Task Act(string call, InstanceContext instance, Action apply)
    {
        Calls.Enqueue($"{call} {instance.Instance.Name}");
        if (FailOn == call)
            throw new VesselException(500, $"fake {call} failure");
        apply();
        return Task.CompletedTask;
    }

    public Task CreateAsync(InstanceContext instance, CancellationToken cancellationToken) =>
        Act("create", instance, () =>
        {
            File.WriteAllText(Path.Combine(instance.RootVolumePath, "made-by-fake"), "x");
            Actual[instance.Instance.Name] = InstanceStatus.Stopped;
        });

    public async Task StartAsync(InstanceContext instance, CancellationToken cancellationToken)
    {
        if (HoldStart is { } hold)
            await hold.Task.WaitAsync(cancellationToken);
        await Act("start", instance, () => Actual[instance.Instance.Name] = InstanceStatus.Running);
    }

    public Task StopAsync(InstanceContext instance, TimeSpan timeout, bool force, CancellationToken cancellationToken) =>
        Act(force ? "kill" : "stop", instance, () => Actual[instance.Instance.Name] = InstanceStatus.Stopped);

    public Task FreezeAsync(InstanceContext instance, CancellationToken cancellationToken) =>
        Act("freeze", instance, () => Actual[instance.Instance.Name] = InstanceStatus.Frozen);

    public Task UnfreezeAsync(InstanceContext instance, CancellationToken cancellationToken) =>
        Act("unfreeze", instance, () => Actual[instance.Instance.Name] = InstanceStatus.Running);

    public Task DeleteAsync(InstanceContext instance, CancellationToken cancellationToken) =>
        Act("delete", instance, () => Actual.TryRemove(instance.Instance.Name, out _));

    public Task ApplyConfigAsync(InstanceContext instance, IReadOnlyDictionary<string, string> previousConfig, CancellationToken cancellationToken) =>
        Act("apply", instance, () => { });

    public Task<RuntimeState> GetStateAsync(InstanceContext instance, CancellationToken cancellationToken)
    {
        var status = Actual.GetValueOrDefault(instance.Instance.Name, InstanceStatus.Stopped);
        var usage = status == InstanceStatus.Running ? new InstanceUsage { CpuSeconds = 1.5, MemoryBytes = 1 << 20, Processes = 3 } : null;
        return Task.FromResult(new RuntimeState(status, status == InstanceStatus.Running ? 4242 : null, usage));
    }
}
