using System.Globalization;
using System.Text.Json;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation;
using SemanticMIM.Evaluation.Augmentation;
using SemanticMIM.Evaluation.FineTuning;
using SemanticMIM.Evaluation.Segmentation;
using SemanticMIM.Model;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Pipeline.Loading;
using TorchSharp;
using static TorchSharp.torch;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Runs one evaluation of a spec (spec (f)) on the pretrained encoder and, for the probes, measured the same way on
/// the controls: the same architecture randomly initialised, and (for classification) the raw pixels. An evaluation
/// on another data set shards it first (reusing verified shards). Results go to
/// <c>experiments/&lt;id&gt;/results/&lt;n&gt;-&lt;protocol&gt;.json</c>; an existing result file is reused.
/// </summary>
public static class EvaluationStage
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string ResultKey(ExperimentPlan plan, int index, EvaluationSpec evaluation) =>
        StoreLayout.Key(StoreLayout.Results(plan.Id), $"{index}-{EvaluationProtocolDescriptors.Get(evaluation.Protocol).ResultName}.json");

    public static async Task<StageResult<IReadOnlyList<EvaluationResult>>> RunAsync(StoreFiles files, ExperimentPlan plan, int index,
        string encoderKey, Action<string>? step = null, CancellationToken cancellation = default)
    {
        var evaluation = plan.Spec.Evaluations[index];
        string key = ResultKey(plan, index, evaluation);
        var stored = await files.ReadJsonAsync<List<EvaluationResult>>(key, Json, cancellation);
        if (stored is not null)
        {
            return new(stored, Reused: true);
        }
        var dataset = plan.EvaluationDataset(index);
        if (dataset.Id != plan.Dataset.Id)
        {
            foreach (var split in new[] { dataset.TrainSplit, dataset.EvaluationSplit })
            {
                step?.Invoke($"sharding {dataset.Id}/{split}");
                await ShardStage.RunAsync(files, dataset, split, cancellation: cancellation);
            }
        }
        string protocol = EvaluationProtocolDescriptors.Get(evaluation.Protocol).SpecName;
        var view = protocol switch
        {
            SegmentationProbeDescriptor.Name => EvaluationView.Squashed,
            UperNetDescriptor.Name => EvaluationView.Landscape,
            _ => EvaluationView.CenterSquare,
        };
        var train = new ShardImages(await files.LocalFolderAsync(StoreLayout.DatasetSplit(dataset.Id, dataset.TrainSplit), cancellation), dataset, view);
        var test = new ShardImages(await files.LocalFolderAsync(StoreLayout.DatasetSplit(dataset.Id, dataset.EvaluationSplit), cancellation), dataset, view);
        using var pretrained = ModelCheckpoint.LoadEncoder(await files.LocalFileAsync(encoderKey, cancellation));
        var run = new EvaluationRun(plan, evaluation, dataset, train, test, pretrained, encoderKey, step);
        var results = protocol switch
        {
            LinearProbeDescriptor.Name => LinearProbeProtocol(run),
            SegmentationProbeDescriptor.Name => SegmentationProbeProtocol(run),
            FineTuneDescriptor.Name => FineTuneProtocol(run),
            UperNetDescriptor.Name => UperNetProtocol(run),
            _ => throw new ArgumentOutOfRangeException(nameof(index), evaluation.Protocol, "unknown evaluation protocol"),
        };
        await files.WriteJsonAsync(key, results, Json, cancellation);
        return new(results, Reused: false);
    }

    /// <summary>The linear-probe options of an evaluation: its values, else the spec's recipe with 60 epochs.</summary>
    public static LinearProbeOptions LinearProbeOptions(EvaluationSpec evaluation, int seed)
    {
        var defaults = new LinearProbeOptions();
        return defaults with
        {
            Epochs = Or(evaluation.Epochs, defaults.Epochs),
            BatchSize = Or(evaluation.BatchSize, defaults.BatchSize),
            LearningRate = evaluation.LearningRate > 0 ? evaluation.LearningRate : defaults.LearningRate,
            Seed = (ulong)seed,
        };
    }

    /// <summary>The segmentation-probe options of an evaluation: its values, else the spec's VOC recipe.</summary>
    public static SegmentationProbeOptions SegmentationProbeOptions(EvaluationSpec evaluation, int seed)
    {
        var defaults = new SegmentationProbeOptions();
        return defaults with
        {
            Layer = evaluation.Layer,
            Epochs = Or(evaluation.Epochs, defaults.Epochs),
            BatchSize = Or(evaluation.BatchSize, defaults.BatchSize),
            LearningRate = evaluation.LearningRate,
            Seed = (ulong)seed,
        };
    }

    private static IReadOnlyList<EvaluationResult> LinearProbeProtocol(EvaluationRun run)
    {
        var options = LinearProbeOptions(run.Evaluation, run.Plan.Spec.Training.Seed) with { Device = run.Device };
        string views = run.Evaluation.Augment
            ? "RandomResizedCrop(0.08, 1) + flip views every epoch streamed through the encoder, test: resize ×256/224 and centre crop"
            : "features of the centre view computed once and held in memory (no augmentation; the spec's recipe trains on "
                + "RandomResizedCrop(0.08, 1) + flip views, and large data sets need that streaming mode: set augment)";
        string recipe = string.Create(CultureInfo.InvariantCulture,
            $"linear probe: {options.Epochs} epochs, batch {options.BatchSize}, AdamW lr {options.LearningRate:G3} wd {options.WeightDecay:G3}, cosine to 0, no warmup; ")
            + $"LN(mean of patch tokens) and LN(mean of the proxies) of every layer, frozen encoder in eval mode; {views}";
        return run.Evaluation.Augment ? AugmentedLinearProbe(run, options, recipe) : PrecomputedLinearProbe(run, options, recipe);
    }

    /// <summary>The spec's probe: fresh views every epoch streamed from the shards; no raw-pixel control (it would need every image in memory).</summary>
    private static List<EvaluationResult> AugmentedLinearProbe(EvaluationRun run, LinearProbeOptions options, string recipe)
    {
        var results = new List<EvaluationResult>();
        foreach (var (name, encoder) in run.Encoders(run.Dataset.ImageSize))
        {
            using (encoder)
            {
                run.Step?.Invoke($"linear probe on augmented views of the {name} encoder");
                var report = StreamingLinearProbe.Run(encoder, epoch => AugmentedBatches(run, options, epoch), TestBatches(run, options),
                    run.Train.Count, run.Train.ClassCount, options);
                results.AddRange(report.Results.Select(r => run.Result(name, r, ProtocolNames.LinearProbe, recipe)));
            }
        }
        return results;
    }

    /// <summary>Features of the centre views computed once, with the raw-pixel control on the same views.</summary>
    private static List<EvaluationResult> PrecomputedLinearProbe(EvaluationRun run, LinearProbeOptions options, string recipe)
    {
        var results = new List<EvaluationResult>();
        int classes = run.Train.ClassCount;
        run.Step?.Invoke("reading images");
        var (trainInput, trainLabels) = Materialized(new NormalizedImages(run.Train, run.Dataset.Mean, run.Dataset.Std));
        var (testInput, testLabels) = Materialized(new NormalizedImages(run.Test, run.Dataset.Mean, run.Dataset.Std));
        using (trainInput)
        using (trainLabels)
        using (testInput)
        using (testLabels)
        {
            foreach (var (name, encoder) in run.Encoders(run.Dataset.ImageSize))
            {
                using (encoder)
                {
                    run.Step?.Invoke($"features of the {name} encoder");
                    using var trainFeatures = EncoderFeatureExtractor.Extract(encoder, trainInput);
                    using var testFeatures = EncoderFeatureExtractor.Extract(encoder, testInput);
                    run.Step?.Invoke($"linear probe on the {name} encoder");
                    var report = LinearProbe.Run(ProbeFeatures.FromEncoder(trainFeatures, testFeatures), trainLabels, testLabels, classes, options);
                    results.AddRange(report.Results.Select(r => run.Result(name, r, ProtocolNames.LinearProbe, recipe)));
                }
            }
            run.Step?.Invoke("linear probe on raw pixels");
            using var trainPixels = RawPixelFeatures.Extract(trainInput);
            using var testPixels = RawPixelFeatures.Extract(testInput);
            var pixels = LinearProbe.Run([new ProbeFeatures(0, FeatureNames.Pixels, trainPixels, testPixels)], trainLabels, testLabels, classes, options);
            string pixelRecipe = recipe[..recipe.IndexOf(';', StringComparison.Ordinal)] + "; the normalised pixels of the centre view";
            results.AddRange(pixels.Results.Select(r => run.Result(EncoderKinds.RawPixels, r, ProtocolNames.LinearProbe, pixelRecipe)));
        }
        return results;
    }

    /// <summary>Every batch of a split concatenated in stored order: images and labels, the caller's to dispose.</summary>
    private static (Tensor Images, Tensor Labels) Materialized(IEvaluationImages split)
    {
        var images = new List<Tensor>();
        var labels = new List<Tensor>();
        try
        {
            foreach (var batch in split.Batches(MaterializeBatchSize))
            {
                images.Add(batch.Images.clone());
                labels.Add(batch.Labels.clone());
            }
            return (cat(images, 0), cat(labels, 0));
        }
        finally
        {
            foreach (var tensor in images.Concat(labels))
            {
                tensor.Dispose();
            }
        }
    }

    private const int MaterializeBatchSize = 512;

    /// <summary>An epoch's shuffled training batches from the shards, each a fresh RandomResizedCrop + flip view, normalised.</summary>
    private static IEnumerable<LabelledBatch> AugmentedBatches(EvaluationRun run, LinearProbeOptions options, int epoch)
    {
        ulong seed = EpochSeeds.For(options.Seed, epoch);
        using var generator = new torch.Generator(seed);
        var views = new ClassificationViews();
        foreach (var batch in run.Train.Batches(options.BatchSize, seed))
        {
            using var images = views.Train(batch.Images, run.Dataset.ImageSize, generator);
            using var normalized = ModelInput.Normalize(images, run.Dataset);
            yield return batch with { Images = normalized };
        }
    }

    /// <summary>The test batches through the spec's test transform (resize ×256/224, centre crop), normalised.</summary>
    private static IEnumerable<LabelledBatch> TestBatches(EvaluationRun run, LinearProbeOptions options)
    {
        foreach (var batch in run.Test.Batches(options.BatchSize))
        {
            using var images = ClassificationViews.Test(batch.Images, run.Dataset.ImageSize);
            using var normalized = ModelInput.Normalize(images, run.Dataset);
            yield return batch with { Images = normalized };
        }
    }

    private static IReadOnlyList<EvaluationResult> SegmentationProbeProtocol(EvaluationRun run)
    {
        var options = SegmentationProbeOptions(run.Evaluation, run.Plan.Spec.Training.Seed);
        int depth = run.Plan.Model.Encoder.Depth;
        string recipe = string.Create(CultureInfo.InvariantCulture,
            $"linear segmentation probe: layer {options.LayerFor(depth)} of {depth} (patch tokens, no norm), 1×1 conv; {options.Epochs} epochs, batch {options.BatchSize}, ")
            + string.Create(CultureInfo.InvariantCulture,
            $"SGD lr {options.EffectiveLearningRate:G3} momentum {options.Momentum} wd {options.WeightDecay:G3}, step ×{options.StepGamma} every {options.StepEpochs} epochs; ")
            + string.Create(CultureInfo.InvariantCulture,
            $"each image and label map resized to {run.Dataset.ImageSize}², training views RandomResizedCrop({options.MinScale}, 1) + flip of that resized image ")
            + string.Create(CultureInfo.InvariantCulture, $"(the reference crops the original), logits and labels at {options.TrainLabelSize}²; validated every epoch at {run.Dataset.ImageSize}², ")
            + "miou = the best epoch's (as the official script), miou_last = the last epoch's";
        var train = new NormalizedImages(run.Train, run.Dataset.Mean, run.Dataset.Std);
        var test = new NormalizedImages(run.Test, run.Dataset.Mean, run.Dataset.Std);
        var results = new List<EvaluationResult>();
        foreach (var (name, encoder) in run.Encoders(run.Dataset.ImageSize))
        {
            using (encoder)
            {
                run.Step?.Invoke($"segmentation probe on the {name} encoder");
                var report = LinearSegmentationProbe.Run(encoder, run.Train.ClassCount, train, test, options);
                results.AddRange(report.Results.Select(r => run.Result(name, r, ProtocolNames.SegmentationProbe, recipe)));
            }
        }
        return results;
    }

    /// <summary>The fine-tuning options of an evaluation: the named recipe (default Table 3's) with its overrides.</summary>
    public static FineTuneOptions FineTuneOptions(EvaluationSpec evaluation, DatasetPlan dataset, int seed)
    {
        var recipe = FineTuneRecipe.Named(evaluation.Recipe.Length > 0 ? evaluation.Recipe : EvaluationRecipes.Paper);
        if (evaluation.Epochs > 0)
        {
            recipe = recipe.WithEpochs(evaluation.Epochs);
        }
        recipe = recipe with
        {
            BatchSize = Or(evaluation.BatchSize, recipe.BatchSize),
            LearningRate = evaluation.LearningRate > 0 ? evaluation.LearningRate : recipe.LearningRate,
        };
        return new FineTuneOptions
        {
            Recipe = recipe, Mean = dataset.Mean, Std = dataset.Std, ImageSize = dataset.ImageSize, Seed = (ulong)seed, Device = ComputeDevice.Default,
        };
    }

    private static IReadOnlyList<EvaluationResult> FineTuneProtocol(EvaluationRun run)
    {
        var options = FineTuneOptions(run.Evaluation, run.Dataset, run.Plan.Spec.Training.Seed);
        run.Step?.Invoke("fine-tuning the pretrained encoder");
        var report = ClassificationFineTuning.Run(run.Pretrained, run.Train, run.Test, run.Train.ClassCount, options);
        string recipe = report.Recipe + "; one run per feature (LN(mean of patch tokens) or LN(mean of the proxies) of the last layer); "
            + "the pretrained encoder only (no random-init control)";
        return report.Results.Select(r => run.Result(EncoderKinds.Pretrained, r, ProtocolNames.FineTune, recipe)).ToList();
    }

    /// <summary>The UperNet options of an evaluation: the named recipe (default the paper's) with its overrides.</summary>
    public static UperNetOptions UperNetOptions(EvaluationSpec evaluation, DatasetPlan dataset, int seed) => new()
    {
        Recipe = UperNetRecipe.Named(evaluation.Recipe.Length > 0 ? evaluation.Recipe : EvaluationRecipes.Paper),
        CropSize = evaluation.CropSize > 0 ? evaluation.CropSize : dataset.ImageSize,
        Iterations = evaluation.Iterations > 0 ? evaluation.Iterations : null,
        BatchSize = evaluation.BatchSize > 0 ? evaluation.BatchSize : null,
        LearningRate = evaluation.LearningRate > 0 ? evaluation.LearningRate : null,
        Mean = dataset.Mean.Select(m => (double)m).ToArray(),
        Std = dataset.Std.Select(s => (double)s).ToArray(),
        // The readers already map ADE20K's 0 ("other") to the ignore index and shift the classes down.
        ReduceZeroLabel = false,
        Seed = (ulong)seed,
        Device = ComputeDevice.Default,
    };

    private static IReadOnlyList<EvaluationResult> UperNetProtocol(EvaluationRun run)
    {
        var options = UperNetOptions(run.Evaluation, run.Dataset, run.Plan.Spec.Training.Seed);
        run.Step?.Invoke("UperNet fine-tuning of the pretrained encoder");
        var report = UperNetSegmentation.Run(run.Pretrained, run.Train, run.Test, run.Train.ClassCount, options);
        string recipe = report.Recipe + string.Create(CultureInfo.InvariantCulture,
            $"; pyramid from blocks {string.Join(", ", report.Taps.Select(tap => tap + 1))} of {run.Pretrained.Config.Depth}; images are the central 4:3 window of each image at height {run.Dataset.ImageSize} ")
            + "(the reference keeps the whole image); the pretrained encoder only (no random-init control)";
        int depth = run.Pretrained.Config.Depth;
        return
        [
            run.Result(EncoderKinds.Pretrained, new ProbeResult(depth, FeatureNames.Patch, ProbeMetrics.MeanIoU, report.Metrics.MeanIoU), ProtocolNames.UperNet, recipe),
            run.Result(EncoderKinds.Pretrained, new ProbeResult(depth, FeatureNames.Patch, ProbeMetrics.PixelAccuracy, report.Metrics.PixelAccuracy), ProtocolNames.UperNet, recipe),
        ];
    }

    private static int Or(int value, int fallback) => value > 0 ? value : fallback;

    /// <summary>What one evaluation works with, and how its results are labelled.</summary>
    private sealed record EvaluationRun(ExperimentPlan Plan, EvaluationSpec Evaluation, DatasetPlan Dataset, ShardImages Train,
        ShardImages Test, VisionTransformer Pretrained, string EncoderKey, Action<string>? Step)
    {
        public string DatasetName => $"{Dataset.Id}/{Dataset.TrainSplit}→{Dataset.EvaluationSplit}";

        public EvaluationResult Result(string encoder, ProbeResult probe, string protocol, string recipe) => new()
        {
            Protocol = protocol,
            Encoder = encoder,
            Layer = probe.Layer,
            Feature = probe.Feature,
            Metric = probe.Metric,
            Value = probe.Value,
            Recipe = recipe,
            Dataset = DatasetName,
            Checkpoint = encoder == EncoderKinds.Pretrained ? EncoderKey : "",
        };

        /// <summary>Where the protocols compute (<see cref="ComputeDevice"/>).</summary>
        public Device Device { get; } = ComputeDevice.Default;

        /// <summary>
        /// The pretrained encoder and the random-init control (seeded from the spec), both at <paramref name="imageSize"/>
        /// with position embeddings resized, on <see cref="Device"/>; each is the caller's to dispose.
        /// </summary>
        public IEnumerable<(string Name, VisionTransformer Encoder)> Encoders(int imageSize)
        {
            yield return (EncoderKinds.Pretrained, Pretrained.Adapted(imageSize, dropPathRate: 0).to(Device));
            random.manual_seed(Plan.Spec.Training.Seed + 1);
            using var randomInit = new VisionTransformer(Plan.Model.Encoder);
            yield return (EncoderKinds.RandomInit, randomInit.Adapted(imageSize, dropPathRate: 0).to(Device));
        }
    }
}
