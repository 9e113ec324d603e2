using MassTransit;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Data.Shards;
using SemanticMIM.Orchestration;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
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
        string trainPrefix = StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit);
        var train = await ShardStage.ReadVerifiedAsync(files, trainPrefix, cancellation)
            ?? throw new InvalidDataException($"the training shards under {trainPrefix} are missing or do not verify");
        int index = train.Shards.ToList().FindIndex(s => s.Name == message.Shard);
        if (index < 0)
        {
            throw new InvalidDataException($"{trainPrefix} has no shard named '{message.Shard}'");
        }
        long firstIndex = train.Shards.Take(index).Sum(s => (long)s.Samples);
        string prefix = StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id);
        var tokenizer = plan.Targets.IsHog ? null : (await TokenizerStage.ForPlanAsync(files, plan, cancellation: cancellation)).Value.Tokenizer;
        bool reused;
        try
        {
            var computer = new TargetComputer(plan.Targets, plan.Dataset, tokenizer);
            var reader = new ShardReader(await files.LocalFolderAsync(trainPrefix, cancellation));
            reused = (await TargetStage.ComputeShardAsync(files, prefix, computer, reader, train.Shards[index], firstIndex, cancellation)).Reused;
        }
        finally
        {
            (tokenizer as IDisposable)?.Dispose();
        }
        if (!reused)
        {
            metrics.RecordSamplesWritten(Stages.Targets, plan.Id, train.Shards[index].Samples);
        }
        metrics.UnitCompleted(Stages.Targets, plan.Id);
        await context.Publish(new TargetsComputed { ExperimentId = message.ExperimentId, Shard = message.Shard, Reused = reused }, cancellation);
    }
}

public sealed class ComputeTargetsConsumerDefinition(IOptions<UnitRetryOptions> retry)
    : UnitConsumerDefinition<ComputeTargetsConsumer>(retry, cpuBound: true);
