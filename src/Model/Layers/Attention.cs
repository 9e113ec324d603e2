using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>
/// Multi-head attention with separate query and key/value inputs, so one module serves self-attention
/// (q = kv) and the proxy cross-attention. BEiT flavour: learnable q and v biases, no k bias (<c>q_bias</c>,
/// <c>v_bias</c>); MaskFeat flavour: ordinary biases on <c>q_proj</c> and <c>kv_proj</c>.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly int _numHeads;

    [ComponentName(Name = "q_proj")]
    private readonly Linear _qProj;

    [ComponentName(Name = "kv_proj")]
    private readonly Linear _kvProj;

    [ComponentName(Name = "q_bias")]
    private readonly Parameter? _qBias;

    [ComponentName(Name = "v_bias")]
    private readonly Parameter? _vBias;

    [ComponentName(Name = "proj")]
    private readonly Linear _proj;

    public Attention(int embedDim, int numHeads, BlockFlavour flavour) : base(nameof(Attention))
    {
        _numHeads = numHeads;
        bool fullBias = flavour == BlockFlavour.MaskFeat;
        _qProj = nn.Linear(embedDim, embedDim, hasBias: fullBias);
        _kvProj = nn.Linear(embedDim, 2 * embedDim, hasBias: fullBias);
        if (!fullBias)
        {
            _qBias = nn.Parameter(torch.zeros(embedDim));
            _vBias = nn.Parameter(torch.zeros(embedDim));
        }
        _proj = nn.Linear(embedDim, embedDim);
        RegisterComponents();
    }

    /// <summary>Attention output (B, Tq, D) for normalised queries (B, Tq, D) and keys/values (B, Tkv, D).</summary>
    public override Tensor forward(Tensor q, Tensor kv)
    {
        using var scope = torch.NewDisposeScope();
        var (query, key, value) = Project(q, kv);
        var attended = nn.functional.scaled_dot_product_attention(query, key, value);
        var merged = attended.transpose(1, 2).flatten(2);
        return MixedPrecision.Linear(_proj, merged).MoveToOuterDisposeScope();
    }

    /// <summary>Softmax attention probabilities (B, heads, Tq, Tkv), scale head_dim^-0.5.</summary>
    public Tensor Probabilities(Tensor q, Tensor kv)
    {
        using var scope = torch.NewDisposeScope();
        var (query, key, _) = Project(q, kv);
        double scale = 1.0 / Math.Sqrt(query.shape[^1]);
        var scores = query.matmul(key.transpose(-2, -1)).mul_(scale);
        return scores.softmax(-1).MoveToOuterDisposeScope();
    }

    private (Tensor Query, Tensor Key, Tensor Value) Project(Tensor q, Tensor kv)
    {
        long batch = q.shape[0];
        long tq = q.shape[1];
        long tkv = kv.shape[1];
        var query = MixedPrecision.Linear(q, _qProj.weight!, _qProj.bias ?? _qBias);
        Tensor? kvBias = _kvProj.bias;
        if (_vBias is not null)
        {
            kvBias = torch.cat([torch.zeros_like(_vBias), _vBias]);
        }
        var keyValue = MixedPrecision.Linear(kv, _kvProj.weight!, kvBias);
        var heads = query.view(batch, tq, _numHeads, -1).transpose(1, 2);
        var kvHeads = keyValue.view(batch, tkv, 2, _numHeads, -1).permute(2, 0, 3, 1, 4);
        return (heads, kvHeads[0], kvHeads[1]);
    }
}
