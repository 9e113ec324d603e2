using Microsoft.Extensions.Logging;

namespace SemanticMIM.Orchestration;

/// <summary>The outbox of <see cref="SweepRecord"/>s, delivered as experiments' are.</summary>
public sealed class SweepOutbox(SweepRepository repository, ILogger<SweepOutbox> logger) : RecordOutbox<SweepRecord>(logger)
{
    protected override Task SaveAsync(SweepRecord record, CancellationToken cancellation) => repository.SaveAsync(record, cancellation);
}
