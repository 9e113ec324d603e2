using SemanticMIM.Model;
using SemanticMIM.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = SemanticMIM.Training.AdamW;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// End-to-end IN-1K-style fine-tuning (spec (f)): for each requested feature, a copy of the pretrained encoder at the
/// options' size with the recipe's drop path (<see cref="VisionTransformer.Adapted"/>, so the pretrained module is
/// never modified) under <see cref="FineTuneClassifier"/>, trained with AdamW in <see cref="LayerDecay"/> groups on
/// the <see cref="WarmupCosineSchedule"/> per step, soft-target cross-entropy on <see cref="FineTuneAugmentation"/>
/// batches, then scored top-1/top-5 in eval mode on the test view.
/// </summary>
public static class ClassificationFineTuning
{
    private const double AdamEpsilon = 1e-8;

    /// <summary>The official configs' LinearLR start_factor: the warmup starts at 1e-4 of the peak.</summary>
    public const double WarmupStartFactor = 1e-4;

    /// <summary>
    /// Fine-tunes on float images in [0, 1] (N, C, H, W) held in memory, with labels in [0, numClasses), after
    /// checking their shapes and ranges; see <see cref="Run(VisionTransformer, IEvaluationImages, IEvaluationImages, int, FineTuneOptions)"/>.
    /// </summary>
    public static FineTuneReport Run(
        VisionTransformer pretrained, Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        int numClasses, FineTuneOptions options)
    {
        Validate(pretrained, trainImages, trainLabels, testImages, testLabels, numClasses, options);
        return Run(pretrained, new TensorImages(trainImages, trainLabels), new TensorImages(testImages, testLabels), numClasses, options);
    }

    /// <summary>
    /// Fine-tunes on splits read batch by batch (float images in [0, 1], class labels), one run per feature. Also
    /// seeds TorchSharp's global generator, from which stochastic depth draws.
    /// </summary>
    public static FineTuneReport Run(
        VisionTransformer pretrained, IEvaluationImages train, IEvaluationImages test, int numClasses, FineTuneOptions options)
    {
        ValidateOptions(pretrained, numClasses, options);
        int size = options.ImageSize ?? pretrained.Config.ImageSize;
        var augmentation = new FineTuneAugmentation(options.Recipe, options.Mean, options.Std, numClasses);
        var results = new List<ProbeResult>();
        foreach (string feature in options.Features)
        {
            var (top1, top5) = FineTune(pretrained, feature, train, test, numClasses, size, augmentation, options);
            results.Add(new ProbeResult(pretrained.Config.Depth, feature, ProbeMetrics.Top1, top1));
            results.Add(new ProbeResult(pretrained.Config.Depth, feature, ProbeMetrics.Top5, top5));
        }
        return new FineTuneReport(results, options.Recipe.Describe());
    }

    private static (double Top1, double Top5) FineTune(
        VisionTransformer pretrained, string feature, IEvaluationImages train, IEvaluationImages test, int numClasses,
        int size, FineTuneAugmentation augmentation, FineTuneOptions options)
    {
        var recipe = options.Recipe;
        var device = options.Device ?? torch.CPU;
        // The adapted encoder's initialisation (overwritten by the copy) and stochastic depth use the global generator.
        torch.random.manual_seed(unchecked((long)options.Seed));
        using var generator = new torch.Generator(options.Seed);
        using var classifier = new FineTuneClassifier(
            pretrained.Adapted(size, recipe.DropPath), feature, numClasses, recipe.HeadInitStd, generator);
        classifier.to(device);
        var settings = LayerDecay.Settings(
            classifier.named_parameters().Select(p => (p.name, p.parameter)), pretrained.Config.Depth, recipe.LayerDecay,
            recipe.WeightDecay);
        var groups = settings
            .GroupBy(s => (s.LearningRateScale, s.WeightDecay))
            .Select(g => (Scale: g.Key.LearningRateScale, Group: new AdamW.ParamGroup(
                g.Select(s => s.Parameter), recipe.LearningRate * g.Key.LearningRateScale, recipe.Betas.Beta1,
                recipe.Betas.Beta2, AdamEpsilon, g.Key.WeightDecay)))
            .ToArray();
        // Every group names its weight decay; the project's AdamW frees each parameter's temporaries as it goes.
        using var optimizer = new AdamW(
            groups.Select(g => g.Group), recipe.LearningRate, recipe.Betas.Beta1, recipe.Betas.Beta2, AdamEpsilon);

        long count = train.Count;
        long stepsPerEpoch = (count + recipe.BatchSize - 1) / recipe.BatchSize;
        long totalSteps = recipe.Epochs * stepsPerEpoch;
        var schedule = new WarmupCosineSchedule(
            recipe.LearningRate, recipe.MinLearningRate, (int)(recipe.WarmupEpochs * stepsPerEpoch), (int)totalSteps, WarmupStartFactor);
        classifier.train();
        long step = 0;
        for (int epoch = 0; epoch < recipe.Epochs; epoch++)
        {
            foreach (var batch in train.Batches(recipe.BatchSize, EpochSeeds.For(options.Seed, epoch)))
            {
                options.Cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                double learningRate = schedule.At((int)step);
                foreach (var (scale, group) in groups)
                {
                    group.LearningRate = learningRate * scale;
                }
                var (images, targets) = augmentation.TrainingBatch(batch.Images, batch.Labels, size, generator);
                var logits = classifier.forward(images.to(device));
                var loss = SoftTargetCrossEntropy.Loss(logits, targets.to(device));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                step++;
            }
        }
        classifier.eval();
        return Accuracy(classifier, augmentation, test, size, options.EvalBatchSize, device);
    }

    private static (double Top1, double Top5) Accuracy(
        FineTuneClassifier classifier, FineTuneAugmentation augmentation, IEvaluationImages test, int size, int batchSize, Device device)
    {
        using var noGrad = torch.no_grad();
        long count = 0;
        long top1 = 0;
        long top5 = 0;
        foreach (var batch in test.Batches(batchSize))
        {
            using var scope = torch.NewDisposeScope();
            var view = augmentation.TestBatch(batch.Images, size);
            var (hits1, hits5) = LinearProbe.Hits(classifier.forward(view.to(device)), batch.Labels.to(device));
            top1 += hits1;
            top5 += hits5;
            count += batch.Labels.shape[0];
        }
        if (count == 0)
        {
            throw new ArgumentException("the test split holds no image", nameof(test));
        }
        return ((double)top1 / count, (double)top5 / count);
    }

    private static void ValidateOptions(VisionTransformer pretrained, int numClasses, FineTuneOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EvalBatchSize, 1);
        options.Recipe.EnsureValid();
        int channels = pretrained.Config.InChannels;
        if (options.Mean.Count != channels || options.Std.Count != channels || options.Std.Any(s => s <= 0))
        {
            throw new ArgumentException($"expected {channels} mean and {channels} positive std values", nameof(options));
        }
        if (options.Features.Count == 0 || options.Features.Any(f => f is not (FeatureNames.Patch or FeatureNames.Cls)))
        {
            throw new ArgumentException(
                $"features must be a non-empty list of '{FeatureNames.Patch}' and '{FeatureNames.Cls}'", nameof(options));
        }
    }

    private static void Validate(
        VisionTransformer pretrained, Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        int numClasses, FineTuneOptions options)
    {
        using var scope = torch.NewDisposeScope();
        ValidateOptions(pretrained, numClasses, options);
        int channels = pretrained.Config.InChannels;
        foreach (var (images, labels, name) in new[] { (trainImages, trainLabels, "train"), (testImages, testLabels, "test") })
        {
            if (images.dim() != 4 || images.shape[1] != channels || labels.dim() != 1 || labels.shape[0] != images.shape[0]
                || labels.numel() == 0)
            {
                throw new ArgumentException(
                    $"{name}: expected (N, {channels}, H, W) images and (N) labels, got [{string.Join(", ", images.shape)}] and [{string.Join(", ", labels.shape)}]");
            }
            if (labels.min().item<long>() < 0 || labels.max().item<long>() >= numClasses)
            {
                throw new ArgumentException($"{name} labels must lie in [0, {numClasses})");
            }
        }
    }
}
