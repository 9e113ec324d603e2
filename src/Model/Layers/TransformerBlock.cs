using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>
/// Pre-LN residual block over separate queries and keys/values (spec (a)):
/// q ← q + DP(γ1 ⊙ Attn(LN1(q), LN1(kv))); q ← q + DP(γ2 ⊙ FFN(LN2(q))).
/// The same LN1 normalises q and kv. γ exists only in the BEiT flavour; a single DropPath per branch
/// (the official code applies it twice on the FFN branch; spec pitfall 8).
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "ln1")]
    private readonly LayerNorm _ln1;

    [ComponentName(Name = "attn")]
    private readonly Attention _attn;

    [ComponentName(Name = "ln2")]
    private readonly LayerNorm _ln2;

    [ComponentName(Name = "ffn")]
    private readonly FeedForward _ffn;

    [ComponentName(Name = "gamma_1")]
    private readonly Parameter? _gamma1;

    [ComponentName(Name = "gamma_2")]
    private readonly Parameter? _gamma2;

    [ComponentName(Name = "drop_path")]
    private readonly DropPath _dropPath;

    public TransformerBlock(VisionTransformerConfig config, double dropPathRate) : base(nameof(TransformerBlock))
    {
        int dim = config.EmbedDim;
        _ln1 = nn.LayerNorm(dim, config.LayerNormEps);
        _attn = new Attention(dim, config.NumHeads, config.Flavour);
        _ln2 = nn.LayerNorm(dim, config.LayerNormEps);
        _ffn = new FeedForward(dim, config.MlpDim);
        if (config.Flavour == BlockFlavour.Beit)
        {
            _gamma1 = nn.Parameter(torch.full(dim, config.LayerScaleInit));
            _gamma2 = nn.Parameter(torch.full(dim, config.LayerScaleInit));
        }
        _dropPath = new DropPath(dropPathRate);
        RegisterComponents();
    }

    /// <summary>Self-attention when <paramref name="kv"/> is <paramref name="q"/>; cross-attention otherwise.</summary>
    public override Tensor forward(Tensor q, Tensor kv)
    {
        using var scope = torch.NewDisposeScope();
        var normedQ = _ln1.forward(q);
        var normedKv = ReferenceEquals(q, kv) ? normedQ : _ln1.forward(kv);
        // Branches join the residual stream in its dtype: fp32 under mixed precision, so LayerNorms see fp32.
        var attended = Scale(_attn.forward(normedQ, normedKv), _gamma1).to(q.dtype);
        var afterAttention = q.add(_dropPath.forward(attended), RootedScalars.One);
        var fed = Scale(_ffn.forward(_ln2.forward(afterAttention)), _gamma2).to(q.dtype);
        return afterAttention.add(_dropPath.forward(fed), RootedScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>This block's attention probabilities (B, heads, Tq, Tkv), computed from its inputs through LN1.</summary>
    public Tensor AttentionProbabilities(Tensor q, Tensor kv)
    {
        using var scope = torch.NewDisposeScope();
        var normedQ = _ln1.forward(q);
        var normedKv = ReferenceEquals(q, kv) ? normedQ : _ln1.forward(kv);
        return _attn.Probabilities(normedQ, normedKv).MoveToOuterDisposeScope();
    }

    private static Tensor Scale(Tensor branch, Parameter? gamma) => gamma is null ? branch : branch * gamma;
}
