using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// A ViT for masked image modeling: the plain ViT plus a learnable mask token (<c>mask_token</c>) and the
/// final LayerNorm (<c>ln1</c>) applied before the head. Both are discarded after pretraining.
/// Masks are boolean (B, N), true where a patch is masked; every row masks the same number of patches
/// (see <see cref="MaskPositions"/>).
/// </summary>
public abstract class MaskedImageEncoder : VisionTransformer
{
    [ComponentName(Name = "mask_token")]
    private readonly Parameter _maskToken;

    [ComponentName(Name = "ln1")]
    private readonly LayerNorm _finalNorm;

    protected MaskedImageEncoder(VisionTransformerConfig config, string name) : base(config, name)
    {
        _maskToken = nn.Parameter(torch.zeros(1, 1, config.EmbedDim));
        _finalNorm = nn.LayerNorm(config.EmbedDim, config.LayerNormEps);
    }

    /// <summary>Encodes the masked positions: (B, N_m, D) after the final norm, positions in ascending order.</summary>
    public Tensor ForwardMasked(Tensor images, Tensor mask)
    {
        using var positions = MaskPositions.Of(mask);
        return ForwardMasked(images, positions);
    }

    /// <summary>As <see cref="ForwardMasked(Tensor, Tensor)"/> with the mask's positions already found.</summary>
    public abstract Tensor ForwardMasked(Tensor images, MaskPositions positions);

    protected LayerNorm FinalNorm => _finalNorm;

    /// <summary>Mask tokens m + pe at masked positions (B, N_m, D), ascending.</summary>
    protected Tensor MaskTokens(MaskPositions positions)
    {
        using var scope = torch.NewDisposeScope();
        var all = (_maskToken + PatchPositionEmbedding).expand(positions.Masked.shape[0], -1, -1);
        return positions.GatherMasked(all).MoveToOuterDisposeScope();
    }
}
