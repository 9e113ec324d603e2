using SemanticMIM.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// The ADE20K UperNet fine-tuning protocol of spec (f): train a <see cref="UperNetSegmenter"/> on augmented crops
/// with layer-decayed AdamW and the warmup + poly schedule, then score sliding-window predictions at each
/// validation image's full size.
/// </summary>
public static class UperNetSegmentation
{
    /// <summary>
    /// Fine-tunes a copy of <paramref name="pretrained"/> and scores it. Images (N, C, H, W) float [0, 1], labels
    /// (N, H, W) of any integer type; labels outside [0, K) after the optional reduction are ignored.
    /// </summary>
    public static UperNetReport Run(
        VisionTransformer pretrained, Tensor trainImages, Tensor trainLabels, Tensor valImages, Tensor valLabels,
        int numClasses, UperNetOptions options)
    {
        RequireSegmentationSet(trainImages, trainLabels, pretrained.Config.InChannels);
        RequireSegmentationSet(valImages, valLabels, pretrained.Config.InChannels);
        return Run(pretrained, new TensorImages(trainImages, trainLabels), new TensorImages(valImages, valLabels), numClasses, options);
    }

    /// <summary>As the in-memory overload, on splits read batch by batch (each batch's images of one size).</summary>
    public static UperNetReport Run(
        VisionTransformer pretrained, IEvaluationImages train, IEvaluationImages validation, int numClasses, UperNetOptions options)
    {
        var recipe = options.EffectiveRecipe();
        using var segmenter = new UperNetSegmenter(pretrained, numClasses, recipe, options.Seed);
        segmenter.to(options.Device ?? torch.CPU);
        Train(segmenter, train, options);
        var metrics = Evaluate(segmenter, validation, options);
        return new UperNetReport(metrics, segmenter.Taps, recipe.Iterations, recipe.Describe());
    }

    /// <summary>
    /// The recipe's iterations of AdamW on batches drawn without replacement from a reshuffled order (reshuffled when
    /// used up, batches spanning the turn, as mmengine's infinite sampler); one dispose scope per iteration.
    /// </summary>
    public static void Train(UperNetSegmenter segmenter, Tensor images, Tensor labels, UperNetOptions options)
    {
        RequireSegmentationSet(images, labels, segmenter.InChannels);
        Train(segmenter, new TensorImages(images, labels), options);
    }

    public static void Train(UperNetSegmenter segmenter, IEvaluationImages images, UperNetOptions options)
    {
        var recipe = segmenter.Recipe;
        var device = segmenter.parameters().First().device;
        var groups = LayerDecay.Groups(segmenter, segmenter.Depth, recipe.LayerDecayRate, recipe.WeightDecay);
        // Each group's schedule starts from its own scaled peak, as mmengine scales every group's lr in turn.
        var schedules = groups
            .Select(group => WarmupPolySchedule.From(recipe) with { PeakLearningRate = recipe.LearningRate * group.LearningRateScale })
            .ToArray();
        using var optimizer = optim.AdamW(
            groups.Select(group => new AdamW.ParamGroup(
                group.Parameters.Select(p => p.Parameter), recipe.LearningRate * group.LearningRateScale, recipe.Beta1,
                recipe.Beta2, recipe.Epsilon, group.WeightDecay)),
            recipe.LearningRate, recipe.Beta1, recipe.Beta2, recipe.Epsilon, recipe.WeightDecay);
        var transform = new UperNetTrainTransform(recipe, options.Mean, options.Std);
        var random = new Random((int)(options.Seed % int.MaxValue));
        using var samples = Samples(images, options.Seed).GetEnumerator();
        // Dropout and drop path draw from TorchSharp's global generator.
        torch.manual_seed(unchecked((long)options.Seed));
        segmenter.train();
        for (int iteration = 0; iteration < recipe.Iterations; iteration++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            // Drawn before the step's scope opens: a new batch of the source must outlive this step.
            var drawn = new (Tensor Image, Tensor Labels)[recipe.BatchSize];
            for (int i = 0; i < drawn.Length; i++)
            {
                samples.MoveNext();
                drawn[i] = samples.Current;
            }
            using var scope = torch.NewDisposeScope();
            foreach (var (group, schedule) in optimizer.ParamGroups.Zip(schedules))
            {
                group.LearningRate = schedule.At(iteration);
            }
            var transformed = drawn.Select(sample => transform.Apply(
                sample.Image.to(ScalarType.Float32),
                SegmentationAugmentation.PrepareLabels(sample.Labels, segmenter.NumClasses, options.ReduceZeroLabel),
                random)).ToArray();
            var batchImages = torch.stack(transformed.Select(s => s.Image)).to(device);
            var batchLabels = torch.stack(transformed.Select(s => s.Labels)).to(device);
            var (main, auxiliary) = segmenter.forward(batchImages);
            var loss = PixelLoss(main, batchLabels) + recipe.AuxiliaryLossWeight * PixelLoss(auxiliary, batchLabels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            foreach (var (image, labels) in drawn)
            {
                image.Dispose();
                labels.Dispose();
            }
        }
        segmenter.eval();
    }

    /// <summary>
    /// Samples drawn without replacement from an order reshuffled every epoch, epochs following each other without
    /// a break (mmengine's infinite sampler); each sample is a copy the consumer disposes.
    /// </summary>
    private static IEnumerable<(Tensor Image, Tensor Labels)> Samples(IEvaluationImages images, ulong seed)
    {
        if (images.Count == 0)
        {
            throw new ArgumentException("the set holds no image", nameof(images));
        }
        for (int epoch = 0; ; epoch++)
        {
            foreach (var batch in images.Batches(SampleBatchSize, EpochSeeds.For(seed, epoch)))
            {
                for (long i = 0; i < batch.Images.shape[0]; i++)
                {
                    yield return (batch.Images[i].clone(), batch.Labels[i].clone());
                }
            }
        }
    }

    /// <summary>How many samples are read from the source at a time.</summary>
    private const int SampleBatchSize = 64;

    /// <summary>
    /// Scores on the validation set: each image resized keeping its ratio to fit (LongEdgeFactor·crop, crop),
    /// normalised, sliding-window logits, those resized bilinearly back to the image's own size, argmax, and a
    /// confusion matrix over K classes ignoring 255 (mmseg's test pipeline and IoU metric).
    /// </summary>
    public static SegmentationMetrics Evaluate(UperNetSegmenter segmenter, Tensor images, Tensor labels, UperNetOptions options)
    {
        RequireSegmentationSet(images, labels, segmenter.InChannels);
        return Evaluate(segmenter, new TensorImages(images, labels), options);
    }

    public static SegmentationMetrics Evaluate(UperNetSegmenter segmenter, IEvaluationImages images, UperNetOptions options)
    {
        var recipe = segmenter.Recipe;
        var device = segmenter.parameters().First().device;
        var confusion = new ConfusionMatrix(segmenter.NumClasses);
        using var evalMode = new EvalMode(segmenter);
        using var noGrad = torch.no_grad();
        foreach (var (imageBatch, labelBatch) in images.Batches(recipe.BatchSize))
        {
            using var scope = torch.NewDisposeScope();
            int height = (int)imageBatch.shape[2];
            int width = (int)imageBatch.shape[3];
            var (testHeight, testWidth) = SegmentationAugmentation.KeepRatioSize(
                height, width, recipe.LongEdgeFactor * recipe.CropSize, recipe.CropSize);
            var resized = SegmentationAugmentation.ResizeImage(imageBatch.to(ScalarType.Float32).to(device), testHeight, testWidth);
            var normalised = ImageNormalization.Normalize(resized, options.Mean, options.Std);
            var logits = SlidingWindow.Infer(normalised, recipe.CropSize, recipe.TestStride, segmenter.WindowLogits);
            var predicted = SegmentationAugmentation.ResizeImage(logits, height, width).argmax(1);
            confusion.Accumulate(
                predicted, SegmentationAugmentation.PrepareLabels(labelBatch, segmenter.NumClasses, options.ReduceZeroLabel));
        }
        return confusion.Metrics();
    }

    /// <summary>
    /// Per-pixel cross-entropy ignoring 255, averaged over all pixels including ignored ones: mmseg's CrossEntropyLoss
    /// with its default avg_non_ignore = false.
    /// </summary>
    public static Tensor PixelLoss(Tensor logits, Tensor labels)
    {
        using var perPixel = nn.functional.cross_entropy(
            logits, labels, ignore_index: SegmentationAugmentation.IgnoreIndex, reduction: nn.Reduction.None);
        return perPixel.mean();
    }

    private static void RequireSegmentationSet(Tensor images, Tensor labels, long channels)
    {
        if (images.dim() != 4 || images.shape[1] != channels)
        {
            throw new ArgumentException($"images must be (N, {channels}, H, W), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        if (labels.dim() != 3 || labels.shape[0] != images.shape[0] || labels.shape[1] != images.shape[2] || labels.shape[2] != images.shape[3])
        {
            throw new ArgumentException(
                $"labels must be (N, H, W) matching images [{string.Join(", ", images.shape)}], got [{string.Join(", ", labels.shape)}]",
                nameof(labels));
        }
        if (images.shape[0] == 0)
        {
            throw new ArgumentException("the set holds no image", nameof(images));
        }
    }
}
