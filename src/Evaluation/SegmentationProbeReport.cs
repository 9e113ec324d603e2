using System.Text.Json;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Validation scores of the linear segmentation probe on encoder layer <paramref name="Layer"/> (1-based): after the
/// last epoch, and the best epoch's (the official script reports the maximum over epochs, selected on the validation set).
/// </summary>
public sealed record SegmentationProbeReport(int Layer, int Epochs, SegmentationMetrics Last, SegmentationMetrics Best, int BestEpoch)
{
    /// <summary>The scores as probe-table rows (feature "patch").</summary>
    public IReadOnlyList<ProbeResult> Results =>
    [
        new(Layer, FeatureNames.Patch, ProbeMetrics.MeanIoU, Best.MeanIoU),
        new(Layer, FeatureNames.Patch, ProbeMetrics.MeanIoULast, Last.MeanIoU),
        new(Layer, FeatureNames.Patch, ProbeMetrics.PixelAccuracy, Last.PixelAccuracy),
    ];

    public string ToJson() => JsonSerializer.Serialize(this, ResultJson.Options);
}
