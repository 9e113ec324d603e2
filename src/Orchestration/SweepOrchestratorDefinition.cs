using MassTransit;

namespace SemanticMIM.Orchestration;

/// <summary>
/// The sweeps' queue, <c>orchestrator-sweeps</c>, beside the experiments' own: the experiments' end events reach both,
/// so a sweep's bookkeeping never delays an experiment's. The retry is the experiments' (a briefly unavailable store).
/// </summary>
public sealed class SweepOrchestratorDefinition : ConsumerDefinition<SweepOrchestrator>
{
    public const string Queue = "orchestrator-sweeps";

    public SweepOrchestratorDefinition()
    {
        EndpointName = Queue;
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SweepOrchestrator> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
}
