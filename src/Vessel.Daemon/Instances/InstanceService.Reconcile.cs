using Vessel.Core.Api;
using Vessel.Core.Drivers;
using Vessel.Core.Model;

namespace Vessel.Daemon.Instances;

public sealed partial class InstanceService
{
    /// <summary>Listens for instances that stop by themselves (a poweroff inside), once, at daemon start.</summary>
    public void WatchEngines(ILogger logger)
    {
        foreach (var driver in drivers.All)
            driver.Stopped += (_, e) => _ = OnStoppedByItselfAsync(driver, e, logger);
    }

    private async Task OnStoppedByItselfAsync(IInstanceDriver driver, InstanceStoppedEventArgs e, ILogger logger)
    {
        try
        {
            await using var instanceLock = await _locks.LockAsync(e.Name, CancellationToken.None);
            // Only a running instance stopped by itself: during our own actions the action settles the status.
            var instance = await store.GetInstanceAsync(e.Name);
            if (instance is null || instance.Status is not (InstanceStatus.Running or InstanceStatus.Frozen))
                return;
            var context = await WithNicsAsync(await ContextAsync(instance, CancellationToken.None), CancellationToken.None);
            // The lock may have been waited for: a restart or restore meanwhile has started it anew.
            if (await ActualStatusAsync(driver, context) is InstanceStatus.Running or InstanceStatus.Frozen)
                return;
            await networks.UnplugAsync(context.Nics);
            if (!await store.TryTransitionAsync(e.Name, instance.Status, InstanceStatus.Stopped, e.Reason))
                return;
            events.Lifecycle("instance-stopped", Path(e.Name));
            if (instance.Ephemeral)
                await RemoveAsync(context, driver, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.InstanceProblem(logger, e.Name, $"handling its stop failed: {ex.Message}");
        }
    }

    /// <summary>
    /// Run once at daemon start: the store says what should be, the engines say what runs. Running instances
    /// are adopted as they are; interrupted creations are undone; a stored status the engine contradicts is corrected.
    /// </summary>
    public async Task ReconcileAsync(ILogger logger, bool hostRebooted, CancellationToken cancellationToken)
    {
        var toStart = new List<Instance>();
        foreach (var instance in await store.ListInstancesAsync(cancellationToken))
        {
            try
            {
                var actual = await ReconcileAsync(instance, logger, cancellationToken);
                if (ShouldAutostart(instance, actual, hostRebooted))
                    toStart.Add(instance);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One instance the engine cannot make sense of must not keep the daemon from serving the others.
                Log.InstanceProblem(logger, instance.Name, $"cannot be reconciled: {e.Message}");
                await store.SetStatusAsync(instance.Name, InstanceStatus.Error, $"cannot be reconciled: {e.Message}", cancellationToken);
            }
        }
        if (toStart.Count > 0)
            _ = AutostartAsync(toStart, logger);
    }

    /// <summary>
    /// As in Incus: boot.autostart=true always starts a stopped instance when the daemon starts; unset, an
    /// instance that ran before the host rebooted is started again; false never starts it.
    /// </summary>
    private static bool ShouldAutostart(Instance stored, InstanceStatus? actual, bool hostRebooted)
    {
        if (actual != InstanceStatus.Stopped)
            return false;
        return stored.Config.GetValueOrDefault("boot.autostart") switch
        {
            "true" => true,
            "false" => false,
            _ => hostRebooted && stored.Status is InstanceStatus.Running or InstanceStatus.Frozen,
        };
    }

    /// <summary>Starts instances by boot.autostart.priority (highest first), waiting boot.autostart.delay seconds after each.</summary>
    private async Task AutostartAsync(List<Instance> instances, ILogger logger)
    {
        static int Setting(Instance i, string key) => int.TryParse(i.Config.GetValueOrDefault(key), out var value) ? value : 0;
        foreach (var instance in instances.OrderByDescending(i => Setting(i, "boot.autostart.priority")))
        {
            try
            {
                var operation = await ChangeStateAsync(instance.Name, new InstanceStatePut { Action = "start" }, CancellationToken.None);
                await operations.WaitAsync(operation.Id, Timeout.InfiniteTimeSpan, CancellationToken.None);
            }
            catch (Exception e)
            {
                Log.InstanceProblem(logger, instance.Name, $"autostart failed: {e.Message}");
            }
            await Task.Delay(TimeSpan.FromSeconds(Setting(instance, "boot.autostart.delay")));
        }
    }

    /// <summary>Brings one instance's stored status in line with its engine; returns what runs (null when it was removed).</summary>
    private async Task<InstanceStatus?> ReconcileAsync(Instance instance, ILogger logger, CancellationToken cancellationToken)
    {
        await using var instanceLock = await _locks.LockAsync(instance.Name, cancellationToken); // a stop's handling may come meanwhile
        var driver = drivers.Find(instance.Type);
        if (instance.StatusReason == Creating)
        {
            Log.InstanceProblem(logger, instance.Name, "its creation was interrupted by a daemon stop; removing what was made");
            await RemoveAsync(await ContextAsync(instance, cancellationToken), driver, cancellationToken);
            return null;
        }
        if (driver is null)
        {
            if (instance.Status != InstanceStatus.Error)
            {
                var reason = drivers.Engines.First(e => e.Type == instance.Type.Name()).Detail;
                Log.InstanceProblem(logger, instance.Name, reason);
                await store.SetStatusAsync(instance.Name, InstanceStatus.Error, reason, cancellationToken);
            }
            return InstanceStatus.Error;
        }
        var context = await ContextAsync(instance, cancellationToken);
        var state = await driver.GetStateAsync(context, cancellationToken);
        if (state.Status == InstanceStatus.Stopped)
            await networks.UnplugAsync((await WithNicsAsync(context, cancellationToken)).Nics); // a VM that ended while no daemon ran leaves its tap
        if (state.Status != instance.Status)
        {
            Log.InstanceReconciled(logger, instance.Name, instance.Status.ToString(), state.Status.ToString());
            await store.SetStatusAsync(instance.Name, state.Status, state.Reason, cancellationToken);
        }
        return state.Status;
    }
}
