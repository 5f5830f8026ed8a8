using System.Globalization;
using Vessel.Core.Model;
using Vessel.Core.Scheduling;
using Vessel.Core.State;
using Vessel.Daemon.Operations;

namespace Vessel.Daemon.Instances;

/// <summary>
/// Takes the snapshots that snapshots.schedule asks for and deletes the ones whose expiry has come, once a minute at the
/// start of the minute, each as an ordinary operation. The minute it last handled is stored, so that a daemon restarted
/// within that minute does not take its snapshots twice; minutes the daemon was down for are not made up (as in Incus).
/// </summary>
public sealed class SnapshotScheduler(InstanceService instances, OperationManager operations, IStateStore store, TimeProvider time,
    ILogger<SnapshotScheduler> logger)
    : BackgroundService
{
    public const string LastMinuteSetting = "snapshots.scheduler.last_minute";

    private readonly HashSet<string> _deleting = [];

    /// <summary>The minute of the last finished pass (tests wait for it).</summary>
    public DateTimeOffset? LastPass { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // the host's start goes on at once
        try
        {
            var minute = Minute(time.GetUtcNow());
            while (true)
            {
                await PassAsync(minute, stoppingToken);
                var next = minute.AddMinutes(1);
                var wait = next - time.GetUtcNow();
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken);
                // A timer that wakes a hair early still handles the minute it waited for; one that wakes late, the minute it is.
                var now = Minute(time.GetUtcNow());
                minute = now > next ? now : next;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static DateTimeOffset Minute(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private async Task PassAsync(DateTimeOffset minute, CancellationToken cancellationToken)
    {
        try
        {
            var last = await store.GetSettingAsync(LastMinuteSetting, cancellationToken);
            if (last is null || DateTimeOffset.Parse(last, CultureInfo.InvariantCulture) < minute)
            {
                // Recorded before the snapshots are started: a crash in between misses them rather than taking them twice.
                await store.SetSettingAsync(LastMinuteSetting, minute.ToString("O", CultureInfo.InvariantCulture), cancellationToken);
                await TakeDueSnapshotsAsync(minute, cancellationToken);
            }
            await DeleteExpiredSnapshotsAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Log.SchedulerPassFailed(logger, e, minute.ToString("O", CultureInfo.InvariantCulture));
        }
        LastPass = minute;
    }

    private async Task TakeDueSnapshotsAsync(DateTimeOffset minute, CancellationToken cancellationToken)
    {
        foreach (var instance in await store.ListInstancesAsync(cancellationToken))
        {
            try
            {
                if (SnapshotConfig.ScheduleOf(instance) is { } schedule && schedule.Matches(minute) && SnapshotConfig.ScheduleApplies(instance))
                    await instances.CreateScheduledSnapshotAsync(instance.Name, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Log.ScheduledSnapshotFailed(logger, instance.Name, e.Message);
            }
        }
    }

    private async Task DeleteExpiredSnapshotsAsync(CancellationToken cancellationToken)
    {
        foreach (var snapshot in await store.ListExpiredSnapshotsAsync(time.GetUtcNow(), cancellationToken))
        {
            var key = InstanceService.SnapshotPath(snapshot.Instance, snapshot.Name);
            lock (_deleting)
            {
                if (!_deleting.Add(key))
                    continue; // its deletion is still under way
            }
            try
            {
                var operation = await instances.DeleteSnapshotAsync(snapshot.Instance, snapshot.Name, cancellationToken, expired: true);
                _ = ForgetWhenDoneAsync(operation, key);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Forget(key);
                Log.ExpiredSnapshotNotDeleted(logger, snapshot.Instance, snapshot.Name, e.Message);
            }
        }
    }

    private async Task ForgetWhenDoneAsync(Operation operation, string key)
    {
        try
        {
            await operations.WaitAsync(operation.Id, Timeout.InfiniteTimeSpan, CancellationToken.None);
        }
        finally
        {
            Forget(key);
        }
    }

    private void Forget(string key)
    {
        lock (_deleting)
            _deleting.Remove(key);
    }
}
