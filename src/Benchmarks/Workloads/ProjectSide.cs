using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Shards;
using SemanticMIM.Evaluation;
using SemanticMIM.Model;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Training;
using static TorchSharp.torch;

namespace SemanticMIM.Benchmarks.Workloads;

/// <summary>
/// The project's side of every pair, each through the code path the platform itself runs: the pretraining engine,
/// the prefetching sharded loader, the target computer, the DALL-E encoder, the linear probe's feature extractor
/// and the shard stage. Runs in its own process (<c>semanticmim benchmark side SPEC</c>).
/// </summary>
public static class ProjectSide
{
    public static async Task<SideRun> RunAsync(SideSpec spec, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Threads);
        set_num_threads(spec.Threads);
        return spec.Kind switch
        {
            PairKind.Train => Train(spec),
            PairKind.Loader => await LoaderAsync(spec, cancellation),
            PairKind.Hog => await HogAsync(spec, cancellation),
            PairKind.Dalle => Dalle(spec),
            PairKind.Features => Features(spec),
            PairKind.Shard => await ShardAsync(spec, cancellation),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown pair kind"),
        };
    }

    private static ExperimentPlan Plan(SideSpec spec)
    {
        string path = spec.SpecFile ?? throw new InvalidDataException($"pair {spec.Pair} names no experiment spec");
        return ExperimentPlan.From(SpecReader.ReadFile(path), path);
    }

    private static StoreFiles Store(string root) => new(new FolderObjectStore(root), Path.Combine(root, ".cache"));

    /// <summary>Pretraining updates on a fixed batch in memory (random images and HOG targets), so only the step is timed.</summary>
    private static SideRun Train(SideSpec spec)
    {
        var plan = Plan(spec);
        var encoder = plan.Model.Encoder;
        var config = plan.Training(2 * spec.Batch) with
        {
            BatchSize = spec.Batch, AccumulationSteps = 1, Steps = spec.Warmup + spec.Steps, CheckpointInterval = 0,
        };
        using var generator = new Generator(1);
        using var images = randn([2 * spec.Batch, encoder.InChannels, encoder.ImageSize, encoder.ImageSize], generator: generator);
        using var targets = rand([2 * spec.Batch, encoder.NumPatches, plan.Model.HeadOutputDim], generator: generator);
        var batches = new InMemoryBatchSource(images, targets, seed: 0);
        using var engine = PretrainingEngine.Start(plan.Model, config, batches);
        var recorder = new StepRecorder(spec, "PretrainingEngine: SDPA attention, AdamW, global-norm clipping, one dispose scope per step", spec.Batch);
        var losses = new List<double>();
        var phases = new List<StepPhases>();
        recorder.Run(() =>
        {
            var progress = engine.TrainStep();
            losses.Add(progress.Loss);
            phases.Add(progress.Phases);
        });
        recorder.Extra("losses", losses);
        recorder.Extra(SideRun.PhaseSecondsExtra, PhaseSeconds(phases.Skip(spec.Warmup).ToList()));
        recorder.Extra("parameters", engine.Model.parameters().Sum(p => p.numel()));
        return recorder.Finish();
    }

    /// <summary>The timed steps' phases as the suite's JSON keeps them: one list of seconds per phase.</summary>
    private static Dictionary<string, double[]> PhaseSeconds(IReadOnlyList<StepPhases> steps) => new(StringComparer.Ordinal)
    {
        ["data"] = [.. steps.Select(p => p.DataSeconds)],
        ["forward"] = [.. steps.Select(p => p.ForwardSeconds)],
        ["backward"] = [.. steps.Select(p => p.BackwardSeconds)],
        ["update"] = [.. steps.Select(p => p.UpdateSeconds)],
    };

    /// <summary>Batches of the prefetching sharded loader: decode, render the recorded views, normalise, gather the targets.</summary>
    private static async Task<SideRun> LoaderAsync(SideSpec spec, CancellationToken cancellation)
    {
        var plan = Plan(spec);
        var files = Store(spec.Store!);
        var train = (await ShardStage.RunAsync(files, plan.Dataset, plan.Dataset.TrainSplit, cancellation: cancellation)).Value;
        var targets = (await TargetStage.RunAsync(files, plan.Targets, plan.Dataset, train, null, cancellation: cancellation)).Value;
        var parts = await ShardPart.ListAsync(files, plan, train, targets, cancellation);
        using var loader = new ShardedBatchSource(parts, plan.Dataset, plan.Model.Encoder.ImageSize, seed: 0, workers: spec.Threads);
        var recorder = new StepRecorder(spec,
            $"ShardedBatchSource ({spec.Threads} decoding threads): JPEG decode, recorded view rendered bicubic, normalised tensors and HOG targets", spec.Batch);
        recorder.Run(() =>
        {
            using var scope = NewDisposeScope();
            loader.Next(spec.Batch);
        });
        return recorder.Finish();
    }

    /// <summary>The target stage's work on batches of stored samples: decode, render V views, HOG, 8-bit codes (the default storage); and the stored size.</summary>
    private static async Task<SideRun> HogAsync(SideSpec spec, CancellationToken cancellation)
    {
        var plan = Plan(spec);
        var files = Store(spec.Store!);
        var train = (await ShardStage.RunAsync(files, plan.Dataset, plan.Dataset.TrainSplit, cancellation: cancellation)).Value;
        string folder = await files.LocalFolderAsync(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), cancellation);
        var reader = new ShardReader(folder);
        var samples = reader.ReadAll().ToList();
        var computer = new TargetComputer(plan.Targets, plan.Dataset, null);
        var shard = train.Shards[0];
        int next = 0;
        ShardTargets? last = null;
        var recorder = new StepRecorder(spec,
            $"TargetComputer: decode, {plan.Targets.Views} recorded views rendered bicubic, batched HOG (TorchSharp), 8-bit codes", spec.Batch);
        recorder.Run(() =>
        {
            var batch = Enumerable.Range(next, spec.Batch).Select(i => samples[i % samples.Count]).ToList();
            last = computer.Compute(shard, batch, next);
            next += spec.Batch;
        });
        string stored = Path.Combine(Path.GetTempPath(), $"semanticmim-bench-{Environment.ProcessId}.targets");
        try
        {
            last!.Save(stored);
            recorder.Extra("storedBytesPerImage", (double)new FileInfo(stored).Length / last.Count);
        }
        finally
        {
            File.Delete(stored);
        }
        return recorder.Finish();
    }

    /// <summary>DALL-E tokens of [0, 1] images at the tokenizer's input size, with the suite's weights.</summary>
    private static SideRun Dalle(SideSpec spec)
    {
        using var encoder = new DalleEncoder(new DalleEncoderConfig());
        encoder.LoadWeights(spec.DalleWeights!);
        encoder.eval();
        using var generator = new Generator(1);
        using var images = rand([spec.Batch, 3, spec.ImageSize, spec.ImageSize], generator: generator);
        var recorder = new StepRecorder(spec, "DalleEncoder.Tokenize (TorchSharp), eval mode, no_grad, same weights", spec.Batch);
        recorder.Run(() =>
        {
            using var tokens = encoder.Tokenize(images);
        });
        return recorder.Finish();
    }

    /// <summary>The linear probe's features: every layer's LN(mean of patches) and LN(mean of proxies), eval mode.</summary>
    private static SideRun Features(SideSpec spec)
    {
        var plan = Plan(spec);
        var config = plan.Model.Encoder;
        manual_seed(0);
        using var encoder = new VisionTransformer(config);
        using var generator = new Generator(1);
        using var images = randn([spec.Batch, config.InChannels, config.ImageSize, config.ImageSize], generator: generator);
        var recorder = new StepRecorder(spec, "EncoderFeatureExtractor: eval mode, no_grad, SDPA attention, pooled features of every layer", spec.Batch);
        long featureBytes = 0;
        recorder.Run(() =>
        {
            using var features = EncoderFeatureExtractor.Extract(encoder, [images]);
            featureBytes = features.Layers.Sum(l => l.Patch.NumberOfElements * l.Patch.ElementSize + l.Cls.NumberOfElements * l.Cls.ElementSize);
        });
        // What the precomputed linear probe keeps per image: every layer's two pooled features.
        recorder.Extra("storedBytesPerImage", (double)featureBytes / spec.Batch);
        return recorder.Finish();
    }

    /// <summary>Shard units from the generated ImageNet folder (decode, bound the shorter side, JPEG, tar), each into a fresh store.</summary>
    private static async Task<SideRun> ShardAsync(SideSpec spec, CancellationToken cancellation)
    {
        var plan = Plan(spec);
        int units = ShardStage.UnitCount(plan.Dataset, plan.Dataset.TrainSplit);
        string root = Path.Combine(spec.Store!, $"shard-run-{Environment.ProcessId}");
        long bytes = 0, samples = 0;
        int step = 0;
        var recorder = new StepRecorder(spec, "ShardStage units: decode, shorter side bounded, JPEG re-encoded, tar with SHA-256", spec.Batch);
        try
        {
            await recorder.RunAsync(async () =>
            {
                var files = Store(Path.Combine(root, step.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                var record = (await ShardStage.WriteUnitAsync(files, plan.Dataset, plan.Dataset.TrainSplit, step % units, cancellation: cancellation)).Value;
                if (record.TotalSamples != spec.Batch)
                {
                    throw new InvalidDataException($"a shard unit holds {record.TotalSamples} samples, the suite expects {spec.Batch}");
                }
                bytes += record.Shards.Sum(s => s.Bytes);
                samples += record.TotalSamples;
                step++;
            });
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        recorder.Extra("storedBytesPerImage", (double)bytes / samples);
        return recorder.Finish();
    }
}
