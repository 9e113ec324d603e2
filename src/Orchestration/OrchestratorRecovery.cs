using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Orchestration;

/// <summary>
/// When the orchestrator starts (or becomes the leader), it re-issues the pending work of every unfinished
/// experiment in the store: the units are idempotent, so work that was done is found and reported again, work lost
/// with a message never sent is done now, and a job that still runs is adopted by its launcher, not started twice.
/// </summary>
public sealed partial class OrchestratorRecovery(ExperimentRepository repository, IBus bus, ILogger<OrchestratorRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var id in repository.ListAsync(stoppingToken))
        {
            if (await repository.FindAsync(id, stoppingToken) is not { IsFinished: false } record)
            {
                continue;
            }
            LogResuming(id, record.Name, record.Phase);
            foreach (var command in PendingCommands(record))
            {
                await bus.Publish(command, command.GetType(), stoppingToken);
            }
        }
    }

    public static IEnumerable<object> PendingCommands(ExperimentRecord record) => record.Phase switch
    {
        ExperimentPhase.Sharding => record.PendingSplits.Select(split => new ShardDataset { ExperimentId = record.Id, Split = split }),
        ExperimentPhase.Targets => record.PendingShards.Select(shard => new ComputeTargets { ExperimentId = record.Id, Shard = shard }),
        ExperimentPhase.Pretraining => [new RunPretraining { ExperimentId = record.Id }],
        ExperimentPhase.Evaluating => record.PendingEvaluations.Select(index => new RunEvaluation { ExperimentId = record.Id, EvaluationIndex = index }),
        ExperimentPhase.Reporting => [new RunReport { ExperimentId = record.Id }],
        _ => [],
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming experiment {Id} ({Name}) in phase {Phase}")]
    partial void LogResuming(Guid id, string name, ExperimentPhase phase);
}
