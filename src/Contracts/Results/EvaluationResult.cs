namespace SemanticMIM.Contracts.Results;

/// <summary>
/// One measured number of an evaluation, as stored in <c>results.json</c> and sent in events: which protocol
/// on which encoder (the pretrained one or a control), which layer (1-based) and feature, which metric.
/// </summary>
public sealed record EvaluationResult
{
    public required string Protocol { get; init; }

    /// <summary><c>pretrained</c>, or a control measured the same way: <c>random-init</c>, <c>raw-pixels</c>.</summary>
    public required string Encoder { get; init; }

    /// <summary>1-based encoder layer; 0 where no layer applies (raw pixels).</summary>
    public int Layer { get; init; }

    /// <summary><c>patch</c> (mean of patch tokens) or <c>cls</c> (mean of proxy/class tokens), or <c>pixels</c>.</summary>
    public required string Feature { get; init; }

    public required string Metric { get; init; }

    public double Value { get; init; }

    public string Recipe { get; init; } = "";

    public string Dataset { get; init; } = "";

    public string Checkpoint { get; init; } = "";
}

/// <summary>One logged training step.</summary>
public sealed record TrainingPoint(int Step, double Loss, double LearningRate, double GradNorm, double ImagesPerSecond);
