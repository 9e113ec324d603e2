using SemanticMIM.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// What <c>semanticmim visualize</c> averages over many images for one encoder, from a single eval-mode pass per
/// batch: the mean attention distance of every layer and head, and each proxy's map of one layer averaged over
/// the images (optionally minus the mean over proxies).
/// </summary>
public sealed class AttentionStatistics
{
    private readonly VisionTransformer _encoder;
    private readonly bool _subtractProxyMean;

    /// <param name="layerIndex">The block (0-based) whose proxy maps are averaged.</param>
    public AttentionStatistics(VisionTransformer encoder, int layerIndex, bool subtractProxyMean)
    {
        var config = encoder.Config;
        ArgumentOutOfRangeException.ThrowIfNegative(layerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layerIndex, config.Depth);
        _encoder = encoder;
        _subtractProxyMean = subtractProxyMean;
        LayerIndex = layerIndex;
        Distance = new AttentionDistance(config);
        ProxyMaps = new ProxyMapAverage(config.NumProxies, config.GridSize);
    }

    public int LayerIndex { get; }

    public AttentionDistance Distance { get; }

    public ProxyMapAverage ProxyMaps { get; }

    /// <summary>Adds a batch of normalised images (B, C, H, W).</summary>
    public void Add(Tensor images)
    {
        var config = _encoder.Config;
        FrozenEncoder.VisitLayers(_encoder, images, (layer, attention) =>
        {
            Distance.Add(layer, attention);
            if (layer == LayerIndex)
            {
                using var scope = torch.NewDisposeScope();
                var maps = AttentionMapExtractor.ProxyMaps(attention, config.NumProxies, config.GridSize);
                ProxyMaps.Add(_subtractProxyMean ? AttentionMapExtractor.SubtractProxyMean(maps) : maps);
            }
        });
    }
}
