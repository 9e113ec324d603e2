using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Orchestration;

/// <summary>
/// When the orchestrator starts (or becomes the leader), it publishes what every record's outbox still holds and
/// re-issues the pending work of every unfinished experiment: the units are idempotent, so work that was done is
/// found and reported again, work lost with a message never sent is done now, and a job that still runs is adopted
/// by its launcher, not started twice. Then, every <see cref="OrchestratorOptions.OutboxSweepInterval"/>, it publishes
/// what any record's outbox holds, finished experiments' included (a lost <c>ExperimentCompleted</c> is sent again), and
/// asks again about each shared pretraining an experiment waits for (<see cref="PretrainingClaims"/>).
/// </summary>
public sealed partial class OrchestratorRecovery(ExperimentRepository repository, IServiceScopeFactory scopes, IBus bus,
    IOptions<OrchestratorOptions> options, TimeProvider clock, ILogger<OrchestratorRecovery> logger) : PeriodicRecovery(options, clock, logger)
{
    /// <summary>Publishes every pending outbox message and re-issues the pending work of every unfinished experiment.</summary>
    public override async Task RecoverAsync(CancellationToken cancellation)
    {
        await SweepOutboxesAsync(cancellation);
        await foreach (var id in repository.ListAsync(cancellation))
        {
            if (await repository.FindAsync(id, cancellation) is not { IsFinished: false } record)
            {
                continue;
            }
            LogResuming(id, record.Name, record.Phase);
            foreach (var command in PendingCommands(record))
            {
                await bus.Publish(command, command.GetType(), cancellation);
            }
        }
    }

    /// <summary>Publishes what the outbox of every record holds, and asks again about every shared pretraining waited for.</summary>
    public override async Task SweepOutboxesAsync(CancellationToken cancellation)
    {
        await using var scope = scopes.CreateAsyncScope();
        var orchestrator = scope.ServiceProvider.GetRequiredService<ExperimentOrchestrator>();
        await foreach (var id in repository.ListAsync(cancellation))
        {
            await orchestrator.DeliverPendingAsync(id, bus, cancellation);
            await orchestrator.RecheckWaitingPretrainingAsync(id, bus, cancellation);
        }
    }

    public static IEnumerable<object> PendingCommands(ExperimentRecord record) => record.Phase switch
    {
        ExperimentPhase.Sharding => record.PendingSplits.Select(split => new ShardDataset { ExperimentId = record.Id, Split = split }),
        // Before the other units were requested only a VQ tokenizer's first unit was (a record written before
        // AllTargetsRequested existed has it false: its units are requested again, as then).
        ExperimentPhase.Targets when !record.AllTargetsRequested && record.TokensParts > 0 =>
            record.PendingShards.Take(1).Select(shard => new ComputeTargets { ExperimentId = record.Id, Shard = shard }),
        ExperimentPhase.Targets => ExperimentOrchestrator.RequestTargets(record),
        ExperimentPhase.Pretraining => [new RunPretraining { ExperimentId = record.Id }],
        ExperimentPhase.Evaluating => record.PendingEvaluations.Select(index => new RunEvaluation { ExperimentId = record.Id, EvaluationIndex = index }),
        ExperimentPhase.Reporting => [new RunReport { ExperimentId = record.Id }],
        _ => [],
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming experiment {Id} ({Name}) in phase {Phase}")]
    partial void LogResuming(Guid id, string name, ExperimentPhase phase);
}
