using MassTransit;

namespace SemanticMIM.Orchestration;

/// <summary>
/// The orchestrator's queue, <c>orchestrator</c>: events are small and cheap, so a short retry covers a briefly
/// unavailable store or job API, after which the message goes to <c>orchestrator_error</c> (a failed job launch
/// then fails its experiment through its fault).
/// </summary>
public sealed class ExperimentOrchestratorDefinition : ConsumerDefinition<ExperimentOrchestrator>
{
    public const string Queue = "orchestrator";

    public ExperimentOrchestratorDefinition()
    {
        EndpointName = Queue;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ExperimentOrchestrator> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
}
