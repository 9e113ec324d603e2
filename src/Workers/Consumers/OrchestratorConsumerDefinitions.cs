using MassTransit;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// The orchestrator's consumers share one queue, <c>orchestrator</c>; events are small and cheap, so a short
/// retry covers a briefly unavailable store, after which the message goes to <c>orchestrator_error</c>.
/// </summary>
public abstract class OrchestratorConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    public const string Queue = "orchestrator";

    protected OrchestratorConsumerDefinition()
    {
        EndpointName = Queue;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
}

public sealed class StartExperimentConsumerDefinition : OrchestratorConsumerDefinition<StartExperimentConsumer>;

public sealed class ShardWrittenConsumerDefinition : OrchestratorConsumerDefinition<ShardWrittenConsumer>;

public sealed class DatasetShardedConsumerDefinition : OrchestratorConsumerDefinition<DatasetShardedConsumer>;

public sealed class TargetsComputedConsumerDefinition : OrchestratorConsumerDefinition<TargetsComputedConsumer>;

public sealed class TrainingProgressedConsumerDefinition : OrchestratorConsumerDefinition<TrainingProgressedConsumer>;

public sealed class PretrainingCompletedConsumerDefinition : OrchestratorConsumerDefinition<PretrainingCompletedConsumer>;

public sealed class EvaluationCompletedConsumerDefinition : OrchestratorConsumerDefinition<EvaluationCompletedConsumer>;

public sealed class ExperimentFailedConsumerDefinition : OrchestratorConsumerDefinition<ExperimentFailedConsumer>;

public sealed class CancelExperimentConsumerDefinition : OrchestratorConsumerDefinition<CancelExperimentConsumer>;

public sealed class GetExperimentStatusConsumerDefinition : OrchestratorConsumerDefinition<GetExperimentStatusConsumer>;

public sealed class UnitFaultConsumerDefinition : OrchestratorConsumerDefinition<UnitFaultConsumer>;
