using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Orchestration;

/// <summary>
/// When the orchestrator starts, it re-issues the pending work of every unfinished experiment in the store:
/// the units are idempotent, so work that was done is found and reported again, and work lost with a
/// previous orchestrator (an in-process training job, a message never sent) is done now.
/// </summary>
public sealed class OrchestratorRecovery(StoreFiles files, ExperimentRepository repository, IBus bus, ILogger<OrchestratorRecovery> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var item in files.Store.ListAsync("orchestrator/experiments/", stoppingToken))
        {
            if (!Guid.TryParse(Path.GetFileNameWithoutExtension(item.Key), out var id)
                || await repository.FindAsync(id, stoppingToken) is not { IsFinished: false } record)
            {
                continue;
            }
            logger.LogInformation("Resuming experiment {Id} ({Name}) in phase {Phase}", id, record.Name, record.Phase);
            foreach (var command in PendingCommands(record))
            {
                await bus.Publish(command, stoppingToken);
            }
        }
    }

    public static IEnumerable<object> PendingCommands(ExperimentRecord record) => record.Phase switch
    {
        ExperimentPhase.Sharding => record.PendingSplits.Select(split => new ShardDataset { ExperimentId = record.Id, Split = split }),
        ExperimentPhase.Targets => record.PendingShards.Select(shard => new ComputeTargets { ExperimentId = record.Id, Shard = shard }),
        ExperimentPhase.Pretraining => [new RunPretraining { ExperimentId = record.Id }],
        ExperimentPhase.Evaluating => record.PendingEvaluations.Select(index => new RunEvaluation { ExperimentId = record.Id, EvaluationIndex = index }),
        _ => [],
    };
}
