using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// The baseline MIM encoder (BEiT / MaskFeat as reproduced in the paper): one joint sequence
/// [cls + pe; visible patches; mask tokens] through every self-attention block, then the final norm;
/// the last N_m tokens are the masked predictions.
/// </summary>
public sealed class MimEncoder : MaskedImageEncoder
{
    public MimEncoder(VisionTransformerConfig config) : base(config, nameof(MimEncoder))
    {
        RegisterComponents();
        WeightInit.Apply(this, config);
    }

    public override Tensor ForwardMasked(Tensor images, MaskPositions positions)
    {
        using var scope = torch.NewDisposeScope();
        var (proxies, patches) = EmbedTokens(images);
        var h = torch.cat([proxies, positions.GatherVisible(patches), MaskTokens(positions)], 1);
        foreach (var layer in Layers)
        {
            h = layer.forward(h, h);
        }
        var tail = h[.., (int)(h.shape[1] - positions.MaskedCount)..];
        return FinalNorm.forward(tail).MoveToOuterDisposeScope();
    }
}
