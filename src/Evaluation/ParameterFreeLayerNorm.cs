using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// LayerNorm over the last dimension with weight 1 and bias 0: the probe's <c>ln2</c> is absent from checkpoints
/// and frozen at its initial values, so it is in effect parameter-free (spec (f)).
/// </summary>
public static class ParameterFreeLayerNorm
{
    public const double Eps = 1e-6;

    public static Tensor Apply(Tensor features) =>
        nn.functional.layer_norm(features, [features.shape[^1]], eps: Eps);
}
