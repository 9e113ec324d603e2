namespace SemanticMIM.Evaluation;

/// <summary>
/// The VOC linear-segmentation recipe of spec (f): SGD momentum 0.9, wd 1e-4, lr 0.01 per 60 images of batch,
/// StepLR (10 epochs, γ 0.1), 25 epochs, training at 100×100 on RandomResizedCrop(0.8, 1) + flip views, validation
/// every epoch at the labels' full resolution.
/// </summary>
public sealed record SegmentationProbeOptions
{
    /// <summary>1-based encoder layer whose patch tokens are probed; 0 = the official code's, 8 of 12 scaled to the depth.</summary>
    public int Layer { get; init; }

    public int Epochs { get; init; } = 25;

    public int BatchSize { get; init; } = 60;

    /// <summary>0 = 0.01 · batch / 60, the official script's scaling with the global batch (spec pitfall 17).</summary>
    public double LearningRate { get; init; }

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>The learning rate is multiplied by <see cref="StepGamma"/> every this many epochs.</summary>
    public int StepEpochs { get; init; } = 10;

    public double StepGamma { get; init; } = 0.1;

    /// <summary>Logits and labels meet at this size in training (labels nearest-resized); 0 = the labels' own size.</summary>
    public int TrainLabelSize { get; init; } = 100;

    /// <summary>Train on RandomResizedCrop(<see cref="MinScale"/>, 1) + flip views rather than the images as given.</summary>
    public bool Augment { get; init; } = true;

    public double MinScale { get; init; } = 0.8;

    /// <summary>Seeds the head initialisation, the shuffling and the views.</summary>
    public ulong Seed { get; init; }

    /// <summary>Stops the run between batches when cancelled (a cancelled job); nothing is written then.</summary>
    public CancellationToken Cancellation { get; init; }

    public const long IgnoreIndex = 255;

    public const double HeadInitStd = 0.01;

    public const double LearningRatePer60Images = 0.01;

    /// <summary>The learning rate used: <see cref="LearningRate"/>, or the official scaling with the batch.</summary>
    public double EffectiveLearningRate => LearningRate > 0 ? LearningRate : LearningRatePer60Images * BatchSize / 60;

    /// <summary>The probed layer for an encoder of <paramref name="depth"/> blocks (1-based).</summary>
    public int LayerFor(int depth) => Layer > 0 ? Layer : Math.Max(1, (int)Math.Round(depth * 8 / 12.0, MidpointRounding.AwayFromZero));
}
