using MassTransit;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Telemetry;
using SemanticMIM.Workers.Orchestration;

namespace SemanticMIM.Workers.Consumers;

// The orchestrator's consumers: each hands its message to ExperimentOrchestrator, which owns the state.

public sealed class StartExperimentConsumer(ExperimentOrchestrator orchestrator) : IConsumer<StartExperiment>
{
    public Task Consume(ConsumeContext<StartExperiment> context) =>
        orchestrator.StartAsync(context.Message, context, context.CancellationToken);
}

public sealed class ShardWrittenConsumer(ExperimentOrchestrator orchestrator) : IConsumer<ShardWritten>
{
    public Task Consume(ConsumeContext<ShardWritten> context) =>
        orchestrator.OnShardWrittenAsync(context.Message, context, context.CancellationToken);
}

public sealed class DatasetShardedConsumer(ExperimentOrchestrator orchestrator) : IConsumer<DatasetSharded>
{
    public Task Consume(ConsumeContext<DatasetSharded> context) =>
        orchestrator.OnDatasetShardedAsync(context.Message, context, context.CancellationToken);
}

public sealed class TargetsComputedConsumer(ExperimentOrchestrator orchestrator) : IConsumer<TargetsComputed>
{
    public Task Consume(ConsumeContext<TargetsComputed> context) =>
        orchestrator.OnTargetsComputedAsync(context.Message, context, context.CancellationToken);
}

public sealed class TrainingProgressedConsumer(ExperimentOrchestrator orchestrator) : IConsumer<TrainingProgressed>
{
    public Task Consume(ConsumeContext<TrainingProgressed> context) =>
        orchestrator.OnTrainingProgressedAsync(context.Message, context.CancellationToken);
}

public sealed class PretrainingCompletedConsumer(ExperimentOrchestrator orchestrator) : IConsumer<PretrainingCompleted>
{
    public Task Consume(ConsumeContext<PretrainingCompleted> context) =>
        orchestrator.OnPretrainingCompletedAsync(context.Message, context, context.CancellationToken);
}

public sealed class EvaluationCompletedConsumer(ExperimentOrchestrator orchestrator) : IConsumer<EvaluationCompleted>
{
    public Task Consume(ConsumeContext<EvaluationCompleted> context) =>
        orchestrator.OnEvaluationCompletedAsync(context.Message, context, context.CancellationToken);
}

public sealed class ExperimentFailedConsumer(ExperimentOrchestrator orchestrator) : IConsumer<ExperimentFailed>
{
    public Task Consume(ConsumeContext<ExperimentFailed> context) =>
        orchestrator.OnFailedAsync(context.Message, context.CancellationToken);
}

public sealed class CancelExperimentConsumer(ExperimentOrchestrator orchestrator) : IConsumer<CancelExperiment>
{
    public Task Consume(ConsumeContext<CancelExperiment> context) =>
        orchestrator.FailAsync(context.Message.ExperimentId, Stages.Cancel, context.Message.Reason, context, context.CancellationToken);
}

public sealed class GetExperimentStatusConsumer(ExperimentOrchestrator orchestrator) : IConsumer<GetExperimentStatus>
{
    public async Task Consume(ConsumeContext<GetExperimentStatus> context) =>
        await context.RespondAsync(await orchestrator.StatusAsync(context.Message.ExperimentId, context.CancellationToken));
}

/// <summary>
/// A unit of work that still failed after its retries fails its experiment with the unit's error, and counts in
/// <c>semanticmim_units_failed_total</c> (the shard and target services' units are counted here, where their
/// faults arrive; a trainer or evaluator job that fails counts itself).
/// </summary>
public sealed class UnitFaultConsumer(ExperimentOrchestrator orchestrator, ExperimentPlans plans, SemanticMimMetrics metrics)
    : IConsumer<Fault<ShardDataset>>, IConsumer<Fault<WriteShard>>, IConsumer<Fault<ComputeTargets>>, IConsumer<Fault<RunPretraining>>, IConsumer<Fault<RunEvaluation>>
{
    public Task Consume(ConsumeContext<Fault<ShardDataset>> context) =>
        FailAsync(context, context.Message.Message.ExperimentId, Stages.Shard, context.Message);

    public Task Consume(ConsumeContext<Fault<WriteShard>> context) =>
        FailAsync(context, context.Message.Message.ExperimentId, Stages.Shard, context.Message);

    public Task Consume(ConsumeContext<Fault<ComputeTargets>> context) =>
        FailAsync(context, context.Message.Message.ExperimentId, Stages.Targets, context.Message);

    public Task Consume(ConsumeContext<Fault<RunPretraining>> context) =>
        FailAsync(context, context.Message.Message.ExperimentId, Stages.Pretrain, context.Message);

    public Task Consume(ConsumeContext<Fault<RunEvaluation>> context) =>
        FailAsync(context, context.Message.Message.ExperimentId, Stages.Evaluate, context.Message);

    private async Task FailAsync(ConsumeContext context, Guid experimentId, string stage, Fault fault)
    {
        var error = fault.Exceptions.FirstOrDefault();
        string reason = error is null ? "the unit failed" : $"{error.ExceptionType}: {error.Message}";
        await orchestrator.FailAsync(experimentId, stage, reason, context, context.CancellationToken);
        metrics.UnitFailed(stage, await ExperimentLabelAsync(experimentId, context.CancellationToken));
    }

    /// <summary>The experiment's name, as every other series labels it; its id if its spec cannot be read.</summary>
    private async Task<string> ExperimentLabelAsync(Guid experimentId, CancellationToken cancellation)
    {
        try
        {
            return (await plans.GetAsync(experimentId, cancellation)).Id;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return experimentId.ToString("D");
        }
    }
}
