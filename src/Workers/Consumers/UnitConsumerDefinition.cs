using MassTransit;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// The definition shared by the units of work: retried in place per <see cref="UnitRetryOptions"/>, then the message
/// goes to the error queue and its fault fails the experiment. CPU-bound units take one message at a time per
/// replica, so replicas, not threads, scale them out.
/// </summary>
public abstract class UnitConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly IReadOnlyList<TimeSpan> _intervals;

    protected UnitConsumerDefinition(IOptions<UnitRetryOptions> retry, bool cpuBound)
    {
        _intervals = retry.Value.Intervals;
        if (cpuBound)
        {
            ConcurrentMessageLimit = 1;
        }
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(policy => policy.Intervals([.. _intervals]));
}
