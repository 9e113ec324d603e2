using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration;

/// <summary>
/// Reads and writes <see cref="SweepRecord"/>s at <c>orchestrator/sweeps/&lt;id&gt;.json</c>, and the index from a cell's
/// experiment id to its sweep at <c>orchestrator/sweep-cells/&lt;experiment id&gt;.json</c>, through which an experiment's
/// end finds its sweep.
/// </summary>
public sealed class SweepRepository(IObjectStore store, TimeProvider clock)
{
    public const string Folder = "orchestrator/sweeps/";

    public static string Key(Guid id) => ObjectKey.Join("orchestrator", "sweeps", $"{id:D}.json");

    public static string CellKey(Guid experimentId) => ObjectKey.Join("orchestrator", "sweep-cells", $"{experimentId:D}.json");

    public Task<SweepRecord?> FindAsync(Guid id, CancellationToken cancellation = default) =>
        store.ReadJsonAsync<SweepRecord>(Key(id), ObjectStoreJson.Records, cancellation);

    public async Task<SweepRecord> GetAsync(Guid id, CancellationToken cancellation = default) =>
        await FindAsync(id, cancellation) ?? throw new KeyNotFoundException($"no sweep {id} is known to the orchestrator");

    public Task SaveAsync(SweepRecord record, CancellationToken cancellation = default) =>
        store.WriteJsonAsync(Key(record.Id), record with { Updated = clock.GetUtcNow() }, ObjectStoreJson.Records, cancellation);

    /// <summary>Records which sweep the experiment <paramref name="experimentId"/> is a cell of.</summary>
    public Task SaveCellAsync(Guid experimentId, Guid sweepId, CancellationToken cancellation = default) =>
        store.WriteJsonAsync(CellKey(experimentId), new SweepCellIndex(sweepId), ObjectStoreJson.Records, cancellation);

    /// <summary>The sweep whose cell the experiment is, or null for an experiment submitted on its own.</summary>
    public async Task<Guid?> FindSweepOfAsync(Guid experimentId, CancellationToken cancellation = default) =>
        (await store.ReadJsonAsync<SweepCellIndex>(CellKey(experimentId), ObjectStoreJson.Records, cancellation))?.SweepId;

    /// <summary>The ids of every sweep the orchestrator has a record of.</summary>
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

    private sealed record SweepCellIndex(Guid SweepId);
}
