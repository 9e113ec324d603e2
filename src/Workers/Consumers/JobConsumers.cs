using MassTransit;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// Long work is never held inside one unacknowledged message: these consumers only launch the trainer or
/// evaluator job (idempotently, by name) and return; the job reports progress and completion as events.
/// </summary>
public sealed class RunPretrainingConsumer(IJobLauncher launcher) : IConsumer<RunPretraining>
{
    public Task Consume(ConsumeContext<RunPretraining> context) =>
        launcher.LaunchAsync(JobSpec.Pretraining(context.Message.ExperimentId), context.CancellationToken);
}

public sealed class RunEvaluationConsumer(IJobLauncher launcher) : IConsumer<RunEvaluation>
{
    public Task Consume(ConsumeContext<RunEvaluation> context) =>
        launcher.LaunchAsync(JobSpec.Evaluation(context.Message.ExperimentId, context.Message.EvaluationIndex), context.CancellationToken);
}

/// <summary>Launching talks to the job API (in process, or Kubernetes): retried briefly, then the experiment fails.</summary>
public sealed class RunPretrainingConsumerDefinition(UnitRetryOptions retry)
    : UnitConsumerDefinition<RunPretrainingConsumer>(retry, cpuBound: false);

public sealed class RunEvaluationConsumerDefinition(UnitRetryOptions retry)
    : UnitConsumerDefinition<RunEvaluationConsumer>(retry, cpuBound: false);
