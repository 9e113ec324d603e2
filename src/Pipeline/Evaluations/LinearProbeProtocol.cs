using System.Globalization;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation;
using SemanticMIM.Evaluation.Augmentation;
using SemanticMIM.Pipeline.Loading;
using TorchSharp;
using static SemanticMIM.Pipeline.Evaluations.ProtocolDefaults;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>
/// The linear probe of spec (f) on the pretrained and random-init encoders: streamed augmented views with
/// <c>augment</c>, else features of the centre views computed once plus a raw-pixel control.
/// </summary>
public sealed class LinearProbeProtocol : IEvaluationProtocol
{
    public string Name => LinearProbeDescriptor.Name;

    /// <summary>The central square, with the class label.</summary>
    public EvaluationView View => EvaluationView.CenterSquare;

    /// <summary>The linear-probe options of an evaluation: its values, else the spec's recipe with 60 epochs.</summary>
    public static LinearProbeOptions Options(EvaluationSpec evaluation, int seed)
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

    public IReadOnlyList<EvaluationResult> Run(EvaluationContext context)
    {
        var options = Options(context.Evaluation, context.Plan.Spec.Training.Seed) with { Device = context.Device, Cancellation = context.Cancellation };
        string views = context.Evaluation.Augment
            ? "RandomResizedCrop(0.08, 1) + flip views every epoch streamed through the encoder, test: resize ×256/224 and centre crop"
            : "features of the centre view computed once and kept in mapped files (no augmentation; the spec's recipe trains on "
                + "RandomResizedCrop(0.08, 1) + flip views, and large data sets need that streaming mode: set augment)";
        string recipe = string.Create(CultureInfo.InvariantCulture,
            $"linear probe: {options.Epochs} epochs, batch {options.BatchSize}, AdamW lr {options.LearningRate:G3} wd {options.WeightDecay:G3}, cosine to 0, no warmup; ")
            + $"LN(mean of patch tokens) and LN(mean of the proxies) of every layer, frozen encoder in eval mode; {views}";
        return context.Evaluation.Augment ? AugmentedLinearProbe(context, options, recipe) : PrecomputedLinearProbe(context, options, recipe);
    }

    /// <summary>The spec's probe: fresh views every epoch streamed from the shards; no raw-pixel control (it would need every image in memory).</summary>
    private static List<EvaluationResult> AugmentedLinearProbe(EvaluationContext context, LinearProbeOptions options, string recipe)
    {
        var results = new List<EvaluationResult>();
        foreach (var (name, encoder) in context.Encoders(context.Dataset.ImageSize))
        {
            using (encoder)
            {
                context.Step?.Invoke($"linear probe on augmented views of the {name} encoder");
                var report = StreamingLinearProbe.Run(encoder, epoch => AugmentedBatches(context, options, epoch), TestBatches(context, options),
                    context.Train.Count, context.Train.ClassCount, options);
                results.AddRange(report.Results.Select(r => context.Result(name, r, recipe)));
            }
        }
        return results;
    }

    /// <summary>
    /// Features of the centre views computed once, with the raw-pixel control on the same views. The normalised pixels
    /// and every layer's features are spilled to files in the scratch folder and mapped (<see cref="FeatureFile"/>), so
    /// the process holds a batch at a time and the labels, whatever the data set's size; the OS pages the rest.
    /// </summary>
    private static List<EvaluationResult> PrecomputedLinearProbe(EvaluationContext context, LinearProbeOptions options, string recipe)
    {
        var results = new List<EvaluationResult>();
        int classes = context.Train.ClassCount;
        string spill = Directory.CreateDirectory(Path.Combine(context.Scratch, "linear-probe")).FullName;
        try
        {
            context.Step?.Invoke("reading images");
            var (trainPixels, trainLabels) = Spilled(new NormalizedImages(context.Train, context.Dataset.Mean, context.Dataset.Std), spill, "train");
            var (testPixels, testLabels) = Spilled(new NormalizedImages(context.Test, context.Dataset.Mean, context.Dataset.Std), spill, "test");
            using (trainPixels)
            using (trainLabels)
            using (testPixels)
            using (testLabels)
            {
                long[] imageShape = [context.Dataset.Channels, context.Dataset.ImageSize, context.Dataset.ImageSize];
                foreach (var (name, encoder) in context.Encoders(context.Dataset.ImageSize))
                {
                    using (encoder)
                    {
                        context.Step?.Invoke($"features of the {name} encoder");
                        using var trainFeatures = EncoderFeatureExtractor.Extract(encoder, Images(trainPixels, imageShape), spill);
                        using var testFeatures = EncoderFeatureExtractor.Extract(encoder, Images(testPixels, imageShape), spill);
                        context.Step?.Invoke($"linear probe on the {name} encoder");
                        var report = LinearProbe.Run(ProbeFeatures.FromEncoder(trainFeatures, testFeatures), trainLabels, testLabels, classes, options);
                        results.AddRange(report.Results.Select(r => context.Result(name, r, recipe)));
                    }
                }
                context.Step?.Invoke("linear probe on raw pixels");
                var pixels = LinearProbe.Run([new ProbeFeatures(0, FeatureNames.Pixels, trainPixels, testPixels)], trainLabels, testLabels, classes, options);
                string pixelRecipe = recipe[..recipe.IndexOf(';', StringComparison.Ordinal)] + "; the normalised pixels of the centre view";
                results.AddRange(pixels.Results.Select(r => context.Result(EncoderKinds.RawPixels, r, pixelRecipe)));
            }
        }
        finally
        {
            Directory.Delete(spill, recursive: true);
        }
        return results;
    }

    /// <summary>A split's images in stored order, flattened into a mapped file (the raw-pixel control's features), and its labels in memory.</summary>
    private static (Tensor Pixels, Tensor Labels) Spilled(IEvaluationImages split, string folder, string name)
    {
        var labels = new List<Tensor>();
        using var pixels = new FeatureFile(Path.Combine(folder, name + "-pixels.f32"));
        try
        {
            foreach (var batch in split.Batches(SpillBatchSize))
            {
                pixels.Append(batch.Images.flatten(1));
                labels.Add(batch.Labels.clone());
            }
            return (pixels.Map(), cat(labels, 0));
        }
        finally
        {
            foreach (var tensor in labels)
            {
                tensor.Dispose();
            }
        }
    }

    private const int SpillBatchSize = 512;

    /// <summary>The mapped pixel rows as image batches, views into the file.</summary>
    private static IEnumerable<Tensor> Images(Tensor pixels, long[] imageShape)
    {
        foreach (var rows in ImageBatches.Of(pixels, EncoderFeatureExtractor.DefaultBatchSize))
        {
            using (rows)
            using (var images = rows.view([rows.shape[0], .. imageShape]))
            {
                yield return images;
            }
        }
    }

    /// <summary>An epoch's shuffled training batches from the shards, each a fresh RandomResizedCrop + flip view, normalised.</summary>
    private static IEnumerable<LabelledBatch> AugmentedBatches(EvaluationContext context, LinearProbeOptions options, int epoch)
    {
        ulong seed = EpochSeeds.For(options.Seed, epoch);
        using var generator = new torch.Generator(seed);
        var views = new ClassificationViews();
        foreach (var batch in context.Train.Batches(options.BatchSize, seed))
        {
            using var images = views.Train(batch.Images, context.Dataset.ImageSize, generator);
            using var normalized = ModelInput.Normalize(images, context.Dataset);
            yield return batch with { Images = normalized };
        }
    }

    /// <summary>The test batches through the spec's test transform (resize ×256/224, centre crop), normalised.</summary>
    private static IEnumerable<LabelledBatch> TestBatches(EvaluationContext context, LinearProbeOptions options)
    {
        foreach (var batch in context.Test.Batches(options.BatchSize))
        {
            using var images = ClassificationViews.Test(batch.Images, context.Dataset.ImageSize);
            using var normalized = ModelInput.Normalize(images, context.Dataset);
            yield return batch with { Images = normalized };
        }
    }
}
