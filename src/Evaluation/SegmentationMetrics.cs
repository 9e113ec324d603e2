namespace SemanticMIM.Evaluation;

/// <summary>
/// Segmentation scores from a <see cref="ConfusionMatrix"/>. <paramref name="ClassIoU"/> holds TP/(TP+FP+FN) per
/// class, null for a class absent from both prediction and truth (0/0); <paramref name="MeanIoU"/> averages the
/// non-null entries, as the spec's reference does with nan and nanmean.
/// </summary>
public sealed record SegmentationMetrics(double MeanIoU, double PixelAccuracy, IReadOnlyList<double?> ClassIoU);
