using SemanticMIM.Model.Layers;
using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>What the compression stack produced: the proxy state after every block and the final [X; I].</summary>
public sealed record CompressionOutput(Tensor[] ProxyStates, Tensor Visible) : IDisposable
{
    public void Dispose()
    {
        foreach (var state in ProxyStates)
        {
            state.Dispose();
        }
        Visible.Dispose();
    }
}

/// <summary>
/// The SemanticMIM proxy encoder (spec (a), paper Eq. 3–4). Compression: per block, self-attention over
/// [proxies X; visible image tokens I]. Reconstruction: per block, mask tokens M query [X_updated; M]
/// through <c>extra_layers</c>. Image tokens and mask tokens never attend to each other; the proxies are the
/// only bridge. Running the whole compression stack before the reconstruction stack is equivalent to
/// interleaving them, because reconstruction block i reads only X^{i+1} and M^i.
/// </summary>
public sealed class ProxyEncoder : MaskedImageEncoder
{
    [ComponentName(Name = "extra_layers")]
    private readonly ModuleList<TransformerBlock> _extraLayers;

    public ProxyEncoder(VisionTransformerConfig config) : base(config, nameof(ProxyEncoder))
    {
        _extraLayers = nn.ModuleList(Enumerable.Range(0, config.Depth)
            .Select(i => new TransformerBlock(config, config.DropPathAt(i))).ToArray());
        RegisterComponents();
        WeightInit.Apply(this, config);
    }

    public ModuleList<TransformerBlock> ExtraLayers => _extraLayers;

    public override Tensor ForwardMasked(Tensor images, MaskPositions positions)
    {
        using var compressed = Compress(images, positions);
        return Reconstruct(compressed.ProxyStates, positions);
    }

    /// <summary>Compression: [X^{i+1}; I^{i+1}] = layers[i]([X^i; I^i]); returns every X^{i+1} and the final [X; I].</summary>
    public CompressionOutput Compress(Tensor images, Tensor mask)
    {
        using var positions = MaskPositions.Of(mask);
        return Compress(images, positions);
    }

    public CompressionOutput Compress(Tensor images, MaskPositions positions)
    {
        using var scope = torch.NewDisposeScope();
        int p = Config.NumProxies;
        var (proxies, patches) = EmbedTokens(images);
        var h = torch.cat([proxies, positions.GatherVisible(patches)], 1);
        var states = new Tensor[Layers.Count];
        for (int i = 0; i < Layers.Count; i++)
        {
            h = Layers[i].forward(h, h);
            states[i] = h[.., ..p].MoveToOuterDisposeScope();
        }
        return new CompressionOutput(states, h.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Reconstruction: M^{i+1} = extra_layers[i](q = M^i, kv = [X^{i+1}; M^i]) from M^0 = m + pe at the masked
    /// positions; returns LN(M^L) (B, N_m, D). Reads the image only through <paramref name="proxyStates"/>.
    /// </summary>
    public Tensor Reconstruct(IReadOnlyList<Tensor> proxyStates, Tensor mask)
    {
        using var positions = MaskPositions.Of(mask);
        return Reconstruct(proxyStates, positions);
    }

    public Tensor Reconstruct(IReadOnlyList<Tensor> proxyStates, MaskPositions positions)
    {
        if (proxyStates.Count != _extraLayers.Count)
        {
            throw new ArgumentException($"expected {_extraLayers.Count} proxy states, got {proxyStates.Count}", nameof(proxyStates));
        }
        using var scope = torch.NewDisposeScope();
        var m = MaskTokens(positions);
        for (int i = 0; i < _extraLayers.Count; i++)
        {
            var kv = torch.cat([proxyStates[i], m], 1);
            m = _extraLayers[i].forward(m, kv);
        }
        return FinalNorm.forward(m).MoveToOuterDisposeScope();
    }
}
