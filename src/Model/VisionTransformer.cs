using SemanticMIM.Model.Layers;
using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// The plain ViT kept after pretraining: patch embedding, P class/proxy tokens each with its own
/// position-embedding row, absolute position embeddings and self-attention blocks over [P proxies; N patches].
/// Parameter names follow the official code (<c>patch_embed.projection</c>, <c>cls_token</c>,
/// <c>pos_embed</c>, <c>layers.i</c>), so checkpoints load in PyTorch.
/// </summary>
public class VisionTransformer : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "patch_embed")]
    private readonly PatchEmbed _patchEmbed;

    [ComponentName(Name = "cls_token")]
    private readonly Parameter _clsToken;

    [ComponentName(Name = "pos_embed")]
    private readonly Parameter _posEmbed;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<TransformerBlock> _layers;

    public VisionTransformer(VisionTransformerConfig config) : this(config, nameof(VisionTransformer))
    {
        RegisterComponents();
        WeightInit.Apply(this, config);
    }

    /// <summary>For subclasses: builds the shared parts; the concrete class registers and initialises.</summary>
    protected VisionTransformer(VisionTransformerConfig config, string name) : base(name)
    {
        config.EnsureValid();
        Config = config;
        _patchEmbed = new PatchEmbed(config.InChannels, config.EmbedDim, config.PatchSize);
        _clsToken = nn.Parameter(torch.zeros(1, config.NumProxies, config.EmbedDim));
        _posEmbed = nn.Parameter(torch.zeros(1, config.NumProxies + config.NumPatches, config.EmbedDim));
        _layers = nn.ModuleList(Enumerable.Range(0, config.Depth)
            .Select(i => new TransformerBlock(config, config.DropPathAt(i))).ToArray());
    }

    public VisionTransformerConfig Config { get; }

    public ModuleList<TransformerBlock> Layers => _layers;

    /// <summary>
    /// Embeds images (B, C, H, W) into proxies (B, P, D) = cls + pe[:P] and patches (B, N, D) = E + pe[P:].
    /// </summary>
    public (Tensor Proxies, Tensor Patches) EmbedTokens(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        int p = Config.NumProxies;
        long batch = images.shape[0];
        var patches = _patchEmbed.forward(images).add(_posEmbed[.., p..], RootedScalars.One);
        var proxies = _clsToken.add(_posEmbed[.., ..p], RootedScalars.One).expand(batch, -1, -1);
        return (proxies.MoveToOuterDisposeScope(), patches.MoveToOuterDisposeScope());
    }

    /// <summary>Position embeddings of the patches only, (1, N, D).</summary>
    protected Tensor PatchPositionEmbedding => _posEmbed[.., Config.NumProxies..];

    /// <summary>Output of the last block for the full, unmasked image: (B, P + N, D), no final norm.</summary>
    public override Tensor forward(Tensor images)
    {
        var features = ForwardFeatures(images);
        for (int i = 0; i < features.Length - 1; i++)
        {
            features[i].Dispose();
        }
        return features[^1];
    }

    /// <summary>Every block's output for the full, unmasked image: Depth tensors of shape (B, P + N, D).</summary>
    public Tensor[] ForwardFeatures(Tensor images)
    {
        var (proxies, patches) = EmbedTokens(images);
        Tensor x;
        using (proxies)
        using (patches)
        {
            x = torch.cat([proxies, patches], 1);
        }
        var outputs = new Tensor[_layers.Count];
        for (int i = 0; i < _layers.Count; i++)
        {
            outputs[i] = _layers[i].forward(x, x);
            if (i == 0)
            {
                x.Dispose();
            }
            x = outputs[i];
        }
        return outputs;
    }

    /// <summary>
    /// A plain encoder with this encoder's weights for inputs of <paramref name="imageSize"/>² and the given
    /// stochastic-depth rate: the patch position embeddings are resized (<see cref="PositionEmbedding.Resize"/>),
    /// everything else copied. On the same device as this encoder; this encoder is left unchanged.
    /// </summary>
    public VisionTransformer Adapted(int imageSize, double dropPathRate)
    {
        var config = Config with { ImageSize = imageSize, DropPathRate = dropPathRate };
        config.EnsureValid();
        var device = _posEmbed.device;
        var adapted = new VisionTransformer(config).to(device);
        using var noGrad = torch.no_grad();
        var sources = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        foreach (var (name, target) in adapted.named_parameters())
        {
            var source = sources[name];
            if (name == "pos_embed")
            {
                using var resized = PositionEmbedding.Resize(source, Config.NumProxies, config.GridSize);
                target.copy_(resized);
            }
            else
            {
                target.copy_(source);
            }
        }
        return adapted;
    }

    /// <summary>
    /// Softmax attention probabilities (B, heads, P + N, P + N) of block <paramref name="layer"/> (0-based)
    /// for the full, unmasked image, computed from that block's input through its LN1.
    /// </summary>
    public Tensor AttentionMaps(Tensor images, int layer)
    {
        if (layer < 0 || layer >= _layers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must lie in [0, {_layers.Count})");
        }
        using var scope = torch.NewDisposeScope();
        var (proxies, patches) = EmbedTokens(images);
        var x = torch.cat([proxies, patches], 1);
        for (int i = 0; i < layer; i++)
        {
            x = _layers[i].forward(x, x);
        }
        return _layers[layer].AttentionProbabilities(x, x).MoveToOuterDisposeScope();
    }
}
