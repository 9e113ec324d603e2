using System.Diagnostics;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Training;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline;

/// <summary>Measured speed of one spec's training on this machine.</summary>
public sealed record BenchmarkResult(
    int TrainSamples, int BatchSize, int Steps, double LoaderImagesPerSecond, double StepsPerSecond, double TrainImagesPerSecond,
    double DataWaitShare, long WorkingSetBytesBefore, long WorkingSetBytesAfter);

/// <summary>
/// Measures, for a spec, how fast the loader alone produces batches and how fast training steps run with it
/// (after warm-up steps), and the process's working set around the timed steps. Uses the spec's shards and
/// targets, computing them first if needed (with <c>target.views: 0</c> each batch's, online); no checkpoint is written.
/// </summary>
public static class TrainingBenchmark
{
    private const int WarmupSteps = 3;

    public static async Task<BenchmarkResult> RunAsync(StoreFiles files, ExperimentPlan plan, int steps, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        if (!plan.Targets.IsHog)
        {
            throw new NotSupportedException("the benchmark measures HOG-target specs; token targets need the tokenizer stage first (run the spec once)");
        }
        var train = (await ShardStage.RunAsync(files, plan.Dataset, plan.Dataset.TrainSplit, cancellation: cancellation)).Value;
        var targets = (await TargetStage.RunAsync(files, plan.Targets, plan.Dataset, train, null, cancellation: cancellation)).Value;
        var parts = await ShardPart.ListAsync(files, plan, train, targets, cancellation);
        using var online = await OnlineTargets.ForPlanAsync(files, plan, CPU, cancellation);
        var config = plan.Training(train.TotalSamples) with { Steps = steps + WarmupSteps, CheckpointInterval = 0 };

        double loaderRate;
        using (var loader = new ShardedBatchSource(parts, plan.Dataset, plan.Model.Encoder.ImageSize, config.Seed, online: online))
        {
            using (var scope = NewDisposeScope())
            {
                loader.Next(config.BatchSize);
            }
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                loader.Next(config.BatchSize);
            }
            loaderRate = steps * config.BatchSize / clock.Elapsed.TotalSeconds;
        }

        using var batches = new ShardedBatchSource(parts, plan.Dataset, plan.Model.Encoder.ImageSize, config.Seed, online: online);
        using var engine = PretrainingEngine.Start(plan.Model, config, batches);
        for (int i = 0; i < WarmupSteps; i++)
        {
            engine.TrainStep();
        }
        GC.Collect();
        long before = Environment.WorkingSet;
        var waitedBefore = batches.DataWait;
        var timer = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            engine.TrainStep();
        }
        double seconds = timer.Elapsed.TotalSeconds;
        GC.Collect();
        return new BenchmarkResult(train.TotalSamples, config.EffectiveBatchSize, steps, loaderRate, steps / seconds, steps * config.EffectiveBatchSize / seconds,
            (batches.DataWait - waitedBefore).TotalSeconds / seconds, before, Environment.WorkingSet);
    }
}
