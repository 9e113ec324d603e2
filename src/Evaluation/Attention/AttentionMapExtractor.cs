using SemanticMIM.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// Proxy and patch-query attention maps (spec (g), [SM] <c>attn_vis.py</c>): from a layer's softmax attention
/// A (B, heads, P + N, P + N), proxy maps are A[:, :, :P, P:] and query maps A[:, :, P + q, P:], without
/// renormalisation after the proxy columns are dropped, reshaped to the grid and averaged over heads.
/// </summary>
public static class AttentionMapExtractor
{
    /// <summary>Head-averaged proxy maps (B, P, g, g) of one layer's attention (B, heads, P + g², P + g²).</summary>
    public static Tensor ProxyMaps(Tensor attention, int numProxies, int gridSize)
    {
        CheckShape(attention, numProxies, gridSize);
        using var scope = torch.NewDisposeScope();
        var maps = attention[.., .., ..numProxies, numProxies..].mean([1]);
        return maps.reshape(attention.shape[0], numProxies, gridSize, gridSize).MoveToOuterDisposeScope();
    }

    /// <summary>Head-averaged maps (B, Q, g, g) of the patches <paramref name="queryPatches"/> (row-major indices on the grid).</summary>
    public static Tensor QueryMaps(Tensor attention, int numProxies, int gridSize, IReadOnlyList<int> queryPatches)
    {
        CheckShape(attention, numProxies, gridSize);
        int patches = gridSize * gridSize;
        var outside = queryPatches.Where(q => q < 0 || q >= patches).ToList();
        if (outside.Count > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(queryPatches), $"query patches {string.Join(", ", outside)} lie outside the {gridSize}×{gridSize} grid");
        }
        using var scope = torch.NewDisposeScope();
        var rows = torch.tensor(queryPatches.Select(q => (long)(numProxies + q)).ToArray(), device: attention.device);
        var maps = attention.index_select(2, rows)[.., .., .., numProxies..].mean([1]);
        return maps.reshape(attention.shape[0], queryPatches.Count, gridSize, gridSize).MoveToOuterDisposeScope();
    }

    /// <summary>Proxy maps (B, P, g, g) minus their mean over the proxies: each proxy's map minus the head- and proxy-averaged map.</summary>
    public static Tensor SubtractProxyMean(Tensor proxyMaps)
    {
        using var mean = proxyMaps.mean([1], keepdim: true);
        return proxyMaps - mean;
    }

    /// <summary>Maps (B, K, g, g) → (B, K, g·patch, g·patch), each grid cell repeated over its patch's pixels.</summary>
    public static Tensor UpsampleToPixels(Tensor maps, int patchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(patchSize, 1);
        return nn.functional.interpolate(maps, [maps.shape[2] * patchSize, maps.shape[3] * patchSize], mode: InterpolationMode.Nearest);
    }

    /// <summary>
    /// Maps of block <paramref name="layerIndex"/> (0-based) of <paramref name="encoder"/> for normalised
    /// <paramref name="images"/> (B, C, H, W), in eval mode without gradients; with
    /// <paramref name="subtractProxyMean"/> the proxy maps have their mean over proxies subtracted.
    /// </summary>
    public static ProxyAttentionMaps Extract(VisionTransformer encoder, Tensor images, int layerIndex, IReadOnlyList<int> queryPatches, bool subtractProxyMean)
    {
        var config = encoder.Config;
        return FrozenEncoder.Run(encoder, () =>
        {
            using var scope = torch.NewDisposeScope();
            var attention = encoder.AttentionMaps(images.to(FrozenEncoder.Device(encoder)), layerIndex);
            var proxies = ProxyMaps(attention, config.NumProxies, config.GridSize);
            if (subtractProxyMean)
            {
                proxies = SubtractProxyMean(proxies);
            }
            var queries = QueryMaps(attention, config.NumProxies, config.GridSize, queryPatches);
            return new ProxyAttentionMaps(
                proxies.to(ScalarType.Float32).cpu().MoveToOuterDisposeScope(),
                queries.to(ScalarType.Float32).cpu().MoveToOuterDisposeScope(),
                queryPatches.ToArray(), config.GridSize, config.PatchSize);
        });
    }

    private static void CheckShape(Tensor attention, int numProxies, int gridSize)
    {
        long tokens = numProxies + (long)gridSize * gridSize;
        if (attention.dim() != 4 || attention.shape[2] != tokens || attention.shape[3] != tokens)
        {
            throw new ArgumentException($"expected attention (B, heads, {tokens}, {tokens}) for P = {numProxies} and a {gridSize}×{gridSize} grid, got [{string.Join(", ", attention.shape)}]", nameof(attention));
        }
    }
}
