namespace SemanticMIM.Evaluation;

/// <summary>Metric names in <see cref="ProbeResult"/>; every value is a fraction in [0, 1].</summary>
public static class ProbeMetrics
{
    public const string Top1 = "top1";
    public const string Top5 = "top5";
    public const string MeanIoU = "miou";
    public const string PixelAccuracy = "pixel_accuracy";
}
