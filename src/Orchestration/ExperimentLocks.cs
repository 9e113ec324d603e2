namespace SemanticMIM.Orchestration;

/// <summary>
/// One experiment's events are handled one at a time in this process. An entry lives only while someone holds or
/// waits for it, so the table does not grow with the experiments ever run.
/// </summary>
public sealed class ExperimentLocks
{
    private readonly Dictionary<Guid, Entry> _entries = [];

    public async Task<IDisposable> AcquireAsync(Guid id, CancellationToken cancellation)
    {
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(id, out entry!))
            {
                entry = new Entry();
                _entries[id] = entry;
            }
            entry.Users++;
        }
        try
        {
            await entry.Gate.WaitAsync(cancellation);
        }
        catch
        {
            Leave(id, entry);
            throw;
        }
        return new Held(this, id, entry);
    }

    /// <summary>Experiments with a lock entry now (held or awaited).</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    private void Leave(Guid id, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                _entries.Remove(id);
            }
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Held(ExperimentLocks locks, Guid id, Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                entry.Gate.Release();
                locks.Leave(id, entry);
            }
        }
    }
}
