using MassTransit;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Workers.Consumers;

/// <summary>The shard service's unit: one split of an experiment's data set. Redelivery finds the verified shards and redoes nothing.</summary>
public sealed class ShardDatasetConsumer(ExperimentPlans plans, StoreFiles files, SemanticMimMetrics metrics) : IConsumer<ShardDataset>
{
    public async Task Consume(ConsumeContext<ShardDataset> context)
    {
        var message = context.Message;
        var plan = await plans.GetAsync(message.ExperimentId, context.CancellationToken);
        var result = await ShardStage.RunAsync(files, plan.Dataset, message.Split, cancellation: context.CancellationToken);
        var manifest = result.Value;
        if (!result.Reused)
        {
            metrics.RecordSamplesWritten(Stages.Shard, plan.Id, manifest.TotalSamples, manifest.Skipped.Count);
        }
        metrics.UnitCompleted(Stages.Shard, plan.Id);
        await context.Publish(new DatasetSharded
        {
            ExperimentId = message.ExperimentId,
            Split = message.Split,
            Samples = manifest.TotalSamples,
            Shards = manifest.Shards.Select(s => s.Name).ToList(),
            Skipped = manifest.Skipped.Count,
            Reused = result.Reused,
        }, context.CancellationToken);
    }
}

/// <summary>Sharding is CPU- and I/O-bound: one split at a time per replica; replicas compete for the queue.</summary>
public sealed class ShardDatasetConsumerDefinition : ConsumerDefinition<ShardDatasetConsumer>
{
    private readonly UnitRetryOptions _retry;

    public ShardDatasetConsumerDefinition(UnitRetryOptions retry)
    {
        _retry = retry;
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ShardDatasetConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(retry => retry.Intervals([.. _retry.Intervals]));
}
