using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Augmentation;

/// <summary>Exact tensor comparison: TorchSharp's <c>equal</c> is elementwise and broadcasts.</summary>
internal static class TensorEquality
{
    public static bool Identical(Tensor first, Tensor second) =>
        first.shape.SequenceEqual(second.shape) && first.equal(second).all().item<bool>();
}
