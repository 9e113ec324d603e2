using MassTransit;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Orchestration;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// The target service's unit: one training shard's target file. A file that already names the same shard
/// content is kept, so redelivery or a second replica never duplicates or corrupts it.
/// </summary>
public sealed class ComputeTargetsConsumer(ExperimentPlans plans, StoreFiles files, SemanticMimMetrics metrics) : IConsumer<ComputeTargets>
{
    public async Task Consume(ConsumeContext<ComputeTargets> context)
    {
        var message = context.Message;
        var cancellation = context.CancellationToken;
        var plan = await plans.GetAsync(message.ExperimentId, cancellation);
        bool reused;
        using (var units = await TargetUnits.OpenAsync(files, plan, metrics, cancellation))
        {
            reused = await units.ComputeAsync(units.IndexOf(message.Shard), cancellation);
        }
        await context.Publish(new TargetsComputed { ExperimentId = message.ExperimentId, Shard = message.Shard, Reused = reused }, cancellation);
    }
}

public sealed class ComputeTargetsConsumerDefinition(IOptions<UnitRetryOptions> retry)
    : UnitConsumerDefinition<ComputeTargetsConsumer>(retry, cpuBound: true);
