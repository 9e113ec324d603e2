using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration;

/// <summary>Reads and writes <see cref="ExperimentRecord"/>s at <c>orchestrator/experiments/&lt;id&gt;.json</c>.</summary>
public sealed class ExperimentRepository(IObjectStore store, TimeProvider clock)
{
    public const string Folder = "orchestrator/experiments/";

    public static string Key(Guid id) => ObjectKey.Join("orchestrator", "experiments", $"{id:D}.json");

    public Task<ExperimentRecord?> FindAsync(Guid id, CancellationToken cancellation = default) =>
        store.ReadJsonAsync<ExperimentRecord>(Key(id), ObjectStoreJson.Records, cancellation);

    public async Task<ExperimentRecord> GetAsync(Guid id, CancellationToken cancellation = default) =>
        await FindAsync(id, cancellation) ?? throw new KeyNotFoundException($"no experiment {id} is known to the orchestrator");

    public Task SaveAsync(ExperimentRecord record, CancellationToken cancellation = default) =>
        store.WriteJsonAsync(Key(record.Id), record with { Updated = clock.GetUtcNow() }, ObjectStoreJson.Records, cancellation);

    /// <summary>The ids of every experiment the orchestrator has a record of.</summary>
    public async IAsyncEnumerable<Guid> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await foreach (var item in store.ListAsync(Folder, cancellation))
        {
            if (Guid.TryParse(Path.GetFileNameWithoutExtension(item.Key), out var id))
            {
                yield return id;
            }
        }
    }
}
