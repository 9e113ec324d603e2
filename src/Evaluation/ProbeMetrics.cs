namespace SemanticMIM.Evaluation;

/// <summary>Metric names in <see cref="ProbeResult"/>; every value is a fraction in [0, 1].</summary>
public static class ProbeMetrics
{
    public const string Top1 = "top1";
    public const string Top5 = "top5";
    /// <summary>mIoU of a segmentation evaluation; for the linear probe the best epoch's, as the official script reports.</summary>
    public const string MeanIoU = "miou";

    /// <summary>mIoU after the last epoch of the linear segmentation probe.</summary>
    public const string MeanIoULast = "miou_last";
    public const string PixelAccuracy = "pixel_accuracy";
}
