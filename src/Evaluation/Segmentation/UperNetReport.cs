namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// Validation scores of a UperNet fine-tuning run, the 0-based encoder layers it tapped, the iterations trained and
/// the effective recipe (<see cref="UperNetRecipe.Describe"/>).
/// </summary>
public sealed record UperNetReport(SegmentationMetrics Metrics, IReadOnlyList<int> Taps, int Iterations, string Recipe);
