using SemanticMIM.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Linear segmentation probe (spec (f), PascalVOC): the frozen patch tokens of one layer as a (B, D, g, g) map,
/// a 1×1 convolution to K classes, logits bilinearly upsampled (to 100×100 in training, to the labels' full size in
/// evaluation), cross-entropy ignoring 255. Upsampling the logits equals upsampling the features first, as the
/// reference does: both maps are linear. The encoder must already run at the images' size (see
/// <see cref="VisionTransformer.Adapted"/>: 448² for VOC after 224² pretraining, position embeddings resized).
/// </summary>
public sealed class LinearSegmentationProbe : IDisposable
{
    private readonly VisionTransformer _encoder;
    private readonly Conv2d _head;
    private readonly SegmentationProbeOptions _options;
    private readonly Device _device;

    public LinearSegmentationProbe(VisionTransformer encoder, int numClasses, SegmentationProbeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numClasses, SegmentationProbeOptions.IgnoreIndex);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.StepEpochs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.TrainLabelSize);
        int depth = encoder.Config.Depth;
        if (options.Layer < 0 || options.Layer > depth)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Layer, $"Layer must lie in [0, {depth}]");
        }
        _encoder = encoder;
        _options = options;
        NumClasses = numClasses;
        Layer = options.LayerFor(depth);
        _device = encoder.parameters().First().device;
        _head = nn.Conv2d(encoder.Config.EmbedDim, numClasses, 1);
        using (torch.no_grad())
        using (var generator = new torch.Generator(options.Seed))
        {
            _head.weight!.normal_(0, SegmentationProbeOptions.HeadInitStd, generator);
            _head.bias!.zero_();
        }
        _head.to(_device);
    }

    /// <summary>The probed encoder layer, 1-based.</summary>
    public int Layer { get; }

    public int NumClasses { get; }

    /// <summary>Trains on images and label maps held in memory; see <see cref="Train(IEvaluationImages, Action{int})"/>.</summary>
    public void Train(Tensor images, Tensor labels, Action<int>? afterEpoch = null) => Train(new TensorImages(images, labels), afterEpoch);

    /// <summary>
    /// Trains for the configured epochs on the (normalised) images, reshuffled every epoch, fresh views when the
    /// options augment; <paramref name="afterEpoch"/> runs after each epoch with its 1-based number, e.g. to validate.
    /// </summary>
    public void Train(IEvaluationImages images, Action<int>? afterEpoch = null)
    {
        double baseRate = _options.EffectiveLearningRate;
        using var optimizer = torch.optim.SGD(
            _head.parameters(), baseRate, _options.Momentum, weight_decay: _options.WeightDecay);
        using var views = new torch.Generator(_options.Seed);
        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            _head.train();
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = baseRate * Math.Pow(_options.StepGamma, epoch / _options.StepEpochs);
            }
            foreach (var batch in images.Batches(_options.BatchSize, EpochSeeds.For(_options.Seed, epoch)))
            {
                _options.Cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var (batchImages, batchLabels) = _options.Augment
                    ? SegmentationViews.RandomResizedCrop(batch.Images, batch.Labels, (int)batch.Images.shape[2], _options.MinScale, views)
                    : (batch.Images, batch.Labels);
                var labels = TrainingLabels(ProbeLabels(batchLabels));
                if (!labels.ne(SegmentationProbeOptions.IgnoreIndex).any().item<bool>())
                {
                    continue;
                }
                var logits = Logits(batchImages, labels.shape[1], labels.shape[2]);
                var loss = nn.functional.cross_entropy(logits, labels, ignore_index: SegmentationProbeOptions.IgnoreIndex);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            _head.eval();
            afterEpoch?.Invoke(epoch + 1);
        }
    }

    /// <summary>Argmax class per pixel at (<paramref name="height"/>, <paramref name="width"/>): (B, H, W) int64.</summary>
    public Tensor Predict(Tensor images, long height, long width)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return Logits(images, height, width).argmax(1).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>The confusion-matrix scores of the predictions at label resolution.</summary>
    public SegmentationMetrics Evaluate(IEvaluationImages images)
    {
        var confusion = new ConfusionMatrix(NumClasses);
        foreach (var batch in images.Batches(_options.BatchSize))
        {
            RequireLabelMaps(batch.Labels);
            using var predicted = Predict(batch.Images, batch.Labels.shape[1], batch.Labels.shape[2]);
            confusion.Accumulate(predicted, batch.Labels);
        }
        return confusion.Metrics();
    }

    public SegmentationMetrics Evaluate(Tensor images, Tensor labels) => Evaluate(new TensorImages(images, labels));

    public static SegmentationProbeReport Run(
        VisionTransformer encoder, int numClasses, Tensor trainImages, Tensor trainLabels, Tensor valImages,
        Tensor valLabels, SegmentationProbeOptions options) =>
        Run(encoder, numClasses, new TensorImages(trainImages, trainLabels), new TensorImages(valImages, valLabels), options);

    /// <summary>Trains a fresh probe on normalised images, scoring it on the validation set after every epoch.</summary>
    public static SegmentationProbeReport Run(
        VisionTransformer encoder, int numClasses, IEvaluationImages train, IEvaluationImages validation, SegmentationProbeOptions options)
    {
        using var probe = new LinearSegmentationProbe(encoder, numClasses, options);
        SegmentationMetrics? best = null;
        SegmentationMetrics? last = null;
        int bestEpoch = 0;
        probe.Train(train, epoch =>
        {
            last = probe.Evaluate(validation);
            if (best is null || last.MeanIoU > best.MeanIoU)
            {
                best = last;
                bestEpoch = epoch;
            }
        });
        return new SegmentationProbeReport(probe.Layer, options.Epochs, last!, best!, bestEpoch);
    }

    public void Dispose() => _head.Dispose();

    private Tensor Logits(Tensor images, long height, long width)
    {
        var features = FeatureMap(images);
        return nn.functional.interpolate(
            _head.forward(features), [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>Patch tokens of the probed layer as (B, D, g, g), computed in eval mode without gradients.</summary>
    private Tensor FeatureMap(Tensor images)
    {
        var config = _encoder.Config;
        if (images.dim() != 4 || images.shape[2] != config.ImageSize || images.shape[3] != config.ImageSize)
        {
            throw new ArgumentException(
                $"images must be (B, C, {config.ImageSize}, {config.ImageSize}) for this encoder, " +
                $"got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var evalMode = new EvalMode(_encoder);
        var tokens = _encoder.ForwardFeatures(images.to(_device))[Layer - 1][.., config.NumProxies..];
        return tokens.transpose(1, 2)
            .reshape(tokens.shape[0], config.EmbedDim, config.GridSize, config.GridSize)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Labels as int64 on the probe's device, every label outside [0, K) turned into the ignore index.</summary>
    private Tensor ProbeLabels(Tensor labels)
    {
        RequireLabelMaps(labels);
        var asLong = labels.to(ScalarType.Int64).to(_device);
        var counted = asLong.ge(0).logical_and(asLong.lt(NumClasses));
        return asLong.where(counted, SegmentationProbeOptions.IgnoreIndex);
    }

    /// <summary>Labels nearest-resized to the training size (the ignore index survives nearest resizing).</summary>
    private Tensor TrainingLabels(Tensor labels)
    {
        int size = _options.TrainLabelSize;
        if (size == 0 || (labels.shape[1] == size && labels.shape[2] == size))
        {
            return labels;
        }
        return nn.functional.interpolate(labels.unsqueeze(1).to(ScalarType.Float32), [size, size], mode: InterpolationMode.Nearest)
            .squeeze(1).to(ScalarType.Int64);
    }

    private static void RequireLabelMaps(Tensor labels)
    {
        if (labels.dim() != 3)
        {
            throw new ArgumentException($"label maps must be (B, H, W), got [{string.Join(", ", labels.shape)}]");
        }
    }
}
