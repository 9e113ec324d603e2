using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Platform.Jobs.Agents;

/// <summary>Reads and writes <see cref="JobRecord"/>s at <c>jobs/&lt;name&gt;.json</c>.</summary>
public sealed class JobRecords(IObjectStore store, TimeProvider clock)
{
    private const string Folder = "jobs";

    public static string Key(string name) => ObjectKey.Join(Folder, $"{name}.json");

    public Task<JobRecord?> FindAsync(string name, CancellationToken cancellation = default) =>
        store.ReadJsonAsync<JobRecord>(Key(name), ObjectStoreJson.Records, cancellation);

    /// <summary>Writes <paramref name="record"/> stamped with the time; returns what was written.</summary>
    public async Task<JobRecord> SaveAsync(JobRecord record, CancellationToken cancellation = default)
    {
        var stamped = record with { Updated = clock.GetUtcNow() };
        await store.WriteJsonAsync(Key(record.Job.Name), stamped, ObjectStoreJson.Records, cancellation);
        return stamped;
    }

    /// <summary>Every job record in the store.</summary>
    public async IAsyncEnumerable<JobRecord> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await foreach (var item in store.ListAsync(Folder + "/", cancellation))
        {
            if (item.Key.EndsWith(".json", StringComparison.Ordinal)
                && await store.ReadJsonAsync<JobRecord>(item.Key, ObjectStoreJson.Records, cancellation) is { } record)
            {
                yield return record;
            }
        }
    }
}
