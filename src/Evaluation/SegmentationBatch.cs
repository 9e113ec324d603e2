using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Images (B, C, H, W) and label maps (B, H', W') of any integer type; labels outside [0, K), such as 255, are
/// ignored. Borrows its tensors.
/// </summary>
public sealed record SegmentationBatch(Tensor Images, Tensor Labels);
