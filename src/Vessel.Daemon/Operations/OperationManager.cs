using System.Collections.Concurrent;
using Vessel.Core;
using Vessel.Core.Model;
using Vessel.Core.State;
using Vessel.Daemon.Events;

namespace Vessel.Daemon.Operations;

/// <summary>
/// Runs long actions as operations: each is recorded in the store before it starts and after it ends, so
/// that a daemon killed in the middle finds it on restart and marks it failed instead of losing it.
/// </summary>
public sealed class OperationManager(IStateStore store, EventHub events, ILogger<OperationManager> logger)
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);
    // Ended operations are pruned now and then, not at every start: that would cost every operation a write.
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(10);
    private DateTimeOffset _prunedAt;

    private sealed record Running(CancellationTokenSource Cancel, Task<Operation> Completion);

    private readonly ConcurrentDictionary<string, Running> _running = new();

    /// <summary>Records the operation as running and starts the work in the background.</summary>
    public async Task<Operation> StartAsync(string description, IReadOnlyList<string> resources, bool mayCancel,
        Func<CancellationToken, Task> work, CancellationToken linkedCancellation = default)
    {
        var now = DateTimeOffset.UtcNow;
        var operation = new Operation
        {
            Id = Guid.NewGuid().ToString(),
            Description = description,
            Status = OperationStatus.Running,
            Resources = resources,
            MayCancel = mayCancel,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (now - _prunedAt > PruneInterval)
        {
            _prunedAt = now;
            await store.PruneOperationsAsync(now - Retention, CancellationToken.None);
        }
        await store.CreateOperationAsync(operation, CancellationToken.None);
        events.OperationChanged(operation);

        var cancel = CancellationTokenSource.CreateLinkedTokenSource(linkedCancellation);
        var started = new TaskCompletionSource();
        var completion = Task.Run(async () =>
        {
            await started.Task;
            return await RunAsync(operation, work, cancel);
        });
        _running[operation.Id] = new Running(cancel, completion);
        started.SetResult();
        return operation;
    }

    private async Task<Operation> RunAsync(Operation operation, Func<CancellationToken, Task> work, CancellationTokenSource cancel)
    {
        Operation final;
        try
        {
            await work(cancel.Token);
            final = operation with { Status = OperationStatus.Success };
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            final = operation with { Status = OperationStatus.Cancelled, Error = "cancelled" };
        }
        catch (Exception e)
        {
            final = operation with { Status = OperationStatus.Failure, Error = StorageFullException.IsCause(e) ? $"out of disk space: {e.Message}" : e.Message };
        }
        final = final with { MayCancel = false, UpdatedAt = DateTimeOffset.UtcNow };
        try
        {
            await store.UpdateOperationAsync(final);
        }
        finally
        {
            _running.TryRemove(operation.Id, out _);
        }
        Log.OperationEnded(logger, final.Id, final.Description, final.Status.ToString(), final.Error is null ? "" : $": {final.Error}");
        events.OperationChanged(final);
        return final;
    }

    /// <summary>Waits until the operation ends or the timeout passes, then returns it as it stands.</summary>
    public async Task<Operation> WaitAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_running.TryGetValue(id, out var running))
        {
            try
            {
                return await running.Completion.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
        return await GetAsync(id, cancellationToken);
    }

    public async Task<Operation> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.GetOperationAsync(id, cancellationToken) ?? throw new NotFoundException($"operation {id} not found");

    public async Task<Operation> CancelAsync(string id, CancellationToken cancellationToken)
    {
        var operation = await GetAsync(id, cancellationToken);
        if (operation.IsFinal)
            throw new ConflictException($"operation {id} has already ended ({operation.Status})");
        if (!operation.MayCancel || !_running.TryGetValue(id, out var running))
            throw new ConflictException($"operation {id} ({operation.Description}) cannot be cancelled");
        await running.Cancel.CancelAsync();
        return await running.Completion.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// On daemon stop: cancels what may be cancelled (imports, builds), gives the rest a little time, and lets the
    /// store mark what is left failed at the next start. A start in flight is not cancelled: instances outlive the daemon.
    /// </summary>
    public async Task DrainAsync(TimeSpan grace)
    {
        foreach (var (id, running) in _running)
        {
            if (await store.GetOperationAsync(id) is { MayCancel: true } && !running.Cancel.IsCancellationRequested)
                await running.Cancel.CancelAsync();
        }
        await Task.WhenAny(Task.WhenAll(_running.Values.Select(r => r.Completion)), Task.Delay(grace));
    }
}
