using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>The raw-pixel control of every probe table: the (already normalised) images flattened to (N, C·H·W).</summary>
public static class RawPixelFeatures
{
    /// <summary>A float CPU tensor the caller owns.</summary>
    public static Tensor Extract(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        return images.flatten(1).to(ScalarType.Float32).cpu().MoveToOuterDisposeScope();
    }
}
