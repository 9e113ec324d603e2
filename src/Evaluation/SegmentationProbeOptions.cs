namespace SemanticMIM.Evaluation;

/// <summary>The VOC linear-segmentation recipe of spec (f): SGD momentum 0.9, wd 1e-4, lr 0.01 per 60 images, StepLR.</summary>
public sealed record SegmentationProbeOptions
{
    /// <summary>1-based encoder layer whose patch tokens are probed; 0 = the last (as the experiment spec).</summary>
    public int Layer { get; init; }

    public int Epochs { get; init; } = 25;

    public int BatchSize { get; init; } = 60;

    public double LearningRate { get; init; } = 0.01;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>The learning rate is multiplied by <see cref="StepGamma"/> every this many epochs.</summary>
    public int StepEpochs { get; init; } = 10;

    public double StepGamma { get; init; } = 0.1;

    /// <summary>Seeds the head initialisation and the shuffling of tensor inputs.</summary>
    public ulong Seed { get; init; }

    public const long IgnoreIndex = 255;

    public const double HeadInitStd = 0.01;
}
