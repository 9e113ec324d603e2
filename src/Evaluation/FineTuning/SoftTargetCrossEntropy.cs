using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// timm's SoftTargetCrossEntropy: the batch mean of −Σ_k t_k·log softmax(z)_k. With smoothed one-hot targets it is
/// label-smoothed cross-entropy, with mixed targets the Mixup/CutMix loss, so one loss serves every recipe.
/// </summary>
public static class SoftTargetCrossEntropy
{
    /// <summary>Scalar loss of logits (B, K) against targets (B, K) whose rows sum to 1.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        using var logProbabilities = logits.log_softmax(-1);
        using var weighted = targets * logProbabilities;
        using var perSample = weighted.sum(-1);
        return perSample.mean().neg_();
    }
}
