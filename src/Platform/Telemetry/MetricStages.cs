namespace SemanticMIM.Platform.Telemetry;

/// <summary>Values of the <c>stage</c> label, the same words <c>ExperimentFailed.Stage</c> uses.</summary>
public static class MetricStages
{
    public const string Shard = "shard";

    public const string Targets = "targets";

    public const string Pretrain = "pretrain";

    public const string Evaluate = "evaluate";
}
