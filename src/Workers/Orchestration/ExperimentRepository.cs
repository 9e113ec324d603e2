using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Orchestration;

/// <summary>Reads and writes <see cref="ExperimentRecord"/>s at <c>orchestrator/experiments/&lt;id&gt;.json</c>.</summary>
public sealed class ExperimentRepository(StoreFiles files)
{
    public static string Key(Guid id) => ObjectKey.Join("orchestrator", "experiments", $"{id:D}.json");

    public Task<ExperimentRecord?> FindAsync(Guid id, CancellationToken cancellation = default) =>
        files.ReadJsonAsync<ExperimentRecord>(Key(id), ExperimentRecord.Json, cancellation);

    public async Task<ExperimentRecord> GetAsync(Guid id, CancellationToken cancellation = default) =>
        await FindAsync(id, cancellation) ?? throw new KeyNotFoundException($"no experiment {id} is known to the orchestrator");

    public Task SaveAsync(ExperimentRecord record, CancellationToken cancellation = default) =>
        files.WriteJsonAsync(Key(record.Id), record with { Updated = DateTimeOffset.UtcNow }, ExperimentRecord.Json, cancellation);
}
