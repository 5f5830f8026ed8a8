namespace Vessel.Daemon.Instances;

/// <summary>
/// One lock per instance name (as names compare: without regard to case). Whatever reads or changes an instance's root or
/// lifecycle holds it from start to end, so that no two such things interleave: a start cannot mount a root that a restore
/// is swapping, a snapshot or copy is not cut while a start writes. Who wants it waits. Not re-entrant: it is taken where
/// the work begins, and what that work calls assumes it is held.
/// </summary>
internal sealed class InstanceLocks
{
    private sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);
        public int Users { get; set; }
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    public async Task<IAsyncDisposable> LockAsync(string name, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(name, out entry!))
                _entries[name] = entry = new Entry();
            entry.Users++;
        }
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(name, entry);
            throw;
        }
        return new Held(this, name, entry);
    }

    /// <summary>An entry goes with its last user, so that names of deleted instances do not pile up.</summary>
    private void Leave(string name, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
                _entries.Remove(name);
        }
    }

    private sealed class Held(InstanceLocks locks, string name, Entry entry) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                entry.Semaphore.Release();
                locks.Leave(name, entry);
            }
            return ValueTask.CompletedTask;
        }
    }
}
