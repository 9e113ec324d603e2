using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// A ViT for masked image modeling: the plain ViT plus a learnable mask token (<c>mask_token</c>) and the
/// final LayerNorm (<c>ln1</c>) applied before the head. Both are discarded after pretraining.
/// Masks are boolean (B, N), true where a patch is masked; every row masks the same number of patches.
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
    public abstract Tensor ForwardMasked(Tensor images, Tensor mask);

    protected LayerNorm FinalNorm => _finalNorm;

    /// <summary>Image tokens at visible positions (B, N_v, D), ascending.</summary>
    protected static Tensor GatherVisible(Tensor tokens, Tensor mask) => Gather(tokens, MaskIndices.Visible(mask));

    /// <summary>Mask tokens m + pe at masked positions (B, N_m, D), ascending.</summary>
    protected Tensor MaskTokens(Tensor mask)
    {
        using var scope = torch.NewDisposeScope();
        long batch = mask.shape[0];
        var all = (_maskToken + PatchPositionEmbedding).expand(batch, -1, -1);
        return Gather(all, MaskIndices.Masked(mask)).MoveToOuterDisposeScope();
    }

    private static Tensor Gather(Tensor tokens, Tensor indices)
    {
        using var expanded = indices.unsqueeze(-1).expand(-1, -1, tokens.shape[^1]);
        using (indices)
        {
            return tokens.gather(1, expanded);
        }
    }
}
