using System.Text.Json;

namespace SemanticMIM.Evaluation;

/// <summary>Validation scores of the linear segmentation probe on encoder layer <paramref name="Layer"/> (1-based).</summary>
public sealed record SegmentationProbeReport(int Layer, int Epochs, SegmentationMetrics Metrics)
{
    /// <summary>The scores as probe-table rows (feature "patch").</summary>
    public IReadOnlyList<ProbeResult> Results =>
    [
        new(Layer, FeatureNames.Patch, ProbeMetrics.MeanIoU, Metrics.MeanIoU),
        new(Layer, FeatureNames.Patch, ProbeMetrics.PixelAccuracy, Metrics.PixelAccuracy),
    ];

    public string ToJson() => JsonSerializer.Serialize(this, ResultJson.Options);
}
