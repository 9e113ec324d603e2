using MassTransit;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Orchestration;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Workers.Consumers;

/// <summary>
/// Plans the sharding of a split: a split whose manifest verifies is reported sharded at once; otherwise it is
/// cut into units, one <see cref="WriteShard"/> each, which the shard service's replicas share.
/// </summary>
public sealed class ShardDatasetConsumer(ExperimentPlans plans, StoreFiles files) : IConsumer<ShardDataset>
{
    public async Task Consume(ConsumeContext<ShardDataset> context)
    {
        var message = context.Message;
        var plan = await plans.GetAsync(message.ExperimentId, context.CancellationToken);
        string prefix = StoreLayout.DatasetSplit(plan.Dataset.Id, message.Split);
        if (await ShardStage.ReadVerifiedAsync(files, prefix, context.CancellationToken) is { } manifest)
        {
            await context.Publish(ShardEvents.Sharded(message.ExperimentId, message.Split, manifest, reused: true), context.CancellationToken);
            return;
        }
        int count = ShardStage.UnitCount(plan.Dataset, message.Split);
        for (int index = 0; index < count; index++)
        {
            await context.Publish(new WriteShard { ExperimentId = message.ExperimentId, Split = message.Split, Index = index, Count = count },
                context.CancellationToken);
        }
    }
}

/// <summary>
/// The shard service's unit: one shard. A redelivered unit, or one a second replica took, finds its verified output.
/// Source images over the service's <c>Data:MaxImagePixels</c> or <c>Data:MaxImageBytes</c> are skipped and counted.
/// </summary>
public sealed class WriteShardConsumer(ExperimentPlans plans, StoreFiles files, SemanticMimMetrics metrics, IOptions<DataOptions> data) : IConsumer<WriteShard>
{
    private readonly ImageLimits _images = new()
    {
        MaxPixels = data.Value.MaxImagePixels ?? ImageLimits.Default.MaxPixels,
        MaxBytes = data.Value.MaxImageBytes ?? ImageLimits.Default.MaxBytes,
    };

    public async Task Consume(ConsumeContext<WriteShard> context)
    {
        var message = context.Message;
        var plan = await plans.GetAsync(message.ExperimentId, context.CancellationToken);
        var result = await ShardStage.WriteUnitAsync(files, plan.Dataset, message.Split, message.Index, _images, context.CancellationToken);
        if (!result.Reused)
        {
            metrics.RecordSamplesWritten(Stages.Shard, plan.Id, result.Value.TotalSamples, result.Value.Skipped.Count);
        }
        metrics.UnitCompleted(Stages.Shard, plan.Id);
        await context.Publish(new ShardWritten
        {
            ExperimentId = message.ExperimentId,
            Split = message.Split,
            Index = message.Index,
            Count = message.Count,
            Samples = result.Value.TotalSamples,
            Reused = result.Reused,
        }, context.CancellationToken);
    }
}

/// <summary>
/// Commits a split once the orchestrator has seen every unit written: the manifest (the split's commit marker) from
/// the units' records, then <see cref="DatasetSharded"/>. Committing again writes the same manifest.
/// </summary>
public sealed class CommitShardsConsumer(ExperimentPlans plans, StoreFiles files) : IConsumer<CommitShards>
{
    public async Task Consume(ConsumeContext<CommitShards> context)
    {
        var message = context.Message;
        var plan = await plans.GetAsync(message.ExperimentId, context.CancellationToken);
        var manifest = await ShardStage.CommitAsync(files, plan.Dataset, message.Split, message.Count, context.CancellationToken);
        await context.Publish(ShardEvents.Sharded(message.ExperimentId, message.Split, manifest, reused: false), context.CancellationToken);
    }
}

public sealed class ShardDatasetConsumerDefinition(IOptions<UnitRetryOptions> retry)
    : UnitConsumerDefinition<ShardDatasetConsumer>(retry, cpuBound: false);

public sealed class WriteShardConsumerDefinition(IOptions<UnitRetryOptions> retry)
    : UnitConsumerDefinition<WriteShardConsumer>(retry, cpuBound: true);

public sealed class CommitShardsConsumerDefinition(IOptions<UnitRetryOptions> retry)
    : UnitConsumerDefinition<CommitShardsConsumer>(retry, cpuBound: false);
