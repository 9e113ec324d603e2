namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>
/// Protocol entries (descriptors, or the evaluator's implementations) by name, in registration order, looked up by
/// any spelling a spec may use (<see cref="SpecSpelling"/>). Registration is idempotent: registering an entry of the
/// same type under a known name again changes nothing, so tests and hosts may register what they need more than once.
/// </summary>
public sealed class ProtocolRegistry<T>(Func<T, string> nameOf) where T : class
{
    private readonly Lock _gate = new();
    private T[] _entries = [];

    /// <summary>Every entry, in registration order.</summary>
    public IReadOnlyList<T> All => Volatile.Read(ref _entries);

    /// <summary>The registered names, comma-separated, for messages.</summary>
    public string Names => string.Join(", ", All.Select(nameOf));

    /// <exception cref="InvalidOperationException">The name is taken by an entry of another type.</exception>
    public void Register(T entry)
    {
        lock (_gate)
        {
            if (Find(nameOf(entry)) is { } existing)
            {
                if (existing.GetType() != entry.GetType())
                {
                    throw new InvalidOperationException($"protocol '{nameOf(entry)}' is already registered as {existing.GetType().Name}");
                }
                return;
            }
            Volatile.Write(ref _entries, [.. _entries, entry]);
        }
    }

    public T? Find(string name)
    {
        string key = SpecSpelling.Key(name);
        return All.FirstOrDefault(entry => SpecSpelling.Key(nameOf(entry)) == key);
    }

    /// <exception cref="KeyNotFoundException">No entry has that name; the message lists the registered ones.</exception>
    public T Get(string name) => Find(name) ?? throw new KeyNotFoundException($"'{name}' is not one of {Names}");
}
