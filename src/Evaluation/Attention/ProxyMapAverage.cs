using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// Each proxy's map averaged over many images (paper Fig. 9), accumulated batch by batch: only a running sum of
/// P·g² doubles is kept, whatever the number of images.
/// </summary>
public sealed class ProxyMapAverage
{
    private readonly double[] _sum;

    public ProxyMapAverage(int numProxies, int gridSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numProxies, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        NumProxies = numProxies;
        GridSize = gridSize;
        _sum = new double[numProxies * gridSize * gridSize];
    }

    public int NumProxies { get; }

    public int GridSize { get; }

    public long ImageCount { get; private set; }

    /// <summary>Adds a batch of proxy maps (B, P, g, g), such as <see cref="AttentionMapExtractor.ProxyMaps"/> gives.</summary>
    public void Add(Tensor proxyMaps)
    {
        if (proxyMaps.dim() != 4 || proxyMaps.shape[1] != NumProxies || proxyMaps.shape[2] != GridSize || proxyMaps.shape[3] != GridSize)
        {
            throw new ArgumentException($"expected proxy maps (B, {NumProxies}, {GridSize}, {GridSize}), got [{string.Join(", ", proxyMaps.shape)}]", nameof(proxyMaps));
        }
        using var scope = torch.NewDisposeScope();
        var values = proxyMaps.to(ScalarType.Float64).sum([0]).cpu().data<double>();
        for (int i = 0; i < _sum.Length; i++)
        {
            _sum[i] += values[i];
        }
        ImageCount += proxyMaps.shape[0];
    }

    /// <summary>The mean map of every proxy, (P, g, g) float32 on the CPU.</summary>
    public Tensor Mean()
    {
        if (ImageCount == 0)
        {
            throw new InvalidOperationException("no proxy maps were added");
        }
        return torch.tensor(_sum.Select(s => (float)(s / ImageCount)).ToArray(), [NumProxies, GridSize, GridSize]);
    }
}
