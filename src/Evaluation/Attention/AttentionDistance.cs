using SemanticMIM.Model;
using SemanticMIM.Planning.Configs;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// Mean attention distance per layer and head (spec (g), Appendix A; ViT / Xie et al.):
/// MAD_{ℓ,h} = mean over images and query patches i of Σ_{j ∈ patches} A^h_ij · d_ij, with d_ij = patch·‖g_i − g_j‖₂
/// in pixels between patch centres. Proxy/CLS rows and columns are dropped and the remaining attention is
/// <b>not</b> renormalised (<see cref="Normalisation"/>), so attention paid to proxies adds no distance.
/// Accumulated batch by batch: only a running sum per layer and head is kept.
/// </summary>
public sealed class AttentionDistance
{
    /// <summary>The choice every output states.</summary>
    public const string Normalisation =
        "Proxy/CLS rows and columns are dropped and the patch-to-patch attention is not renormalised: attention paid to proxy/CLS tokens contributes no distance.";

    private readonly int _numProxies;
    private readonly int _gridSize;
    private readonly double[][] _sums;
    private readonly long[] _queryCounts;

    public AttentionDistance(int depth, int numHeads, int numProxies, int gridSize, int patchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numHeads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(numProxies);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(patchSize, 1);
        _numProxies = numProxies;
        _gridSize = gridSize;
        PatchSize = patchSize;
        _sums = Enumerable.Range(0, depth).Select(_ => new double[numHeads]).ToArray();
        _queryCounts = new long[depth];
    }

    /// <summary>For every block of <paramref name="encoder"/> at its configured input size.</summary>
    public AttentionDistance(VisionTransformerConfig encoder)
        : this(encoder.Depth, encoder.NumHeads, encoder.NumProxies, encoder.GridSize, encoder.PatchSize)
    {
    }

    public int PatchSize { get; }

    /// <summary>Images added to layer <paramref name="layerIndex"/> (0-based).</summary>
    public long ImageCount(int layerIndex) => _queryCounts[layerIndex] / (_gridSize * _gridSize);

    /// <summary>d_ij = patch·‖g_i − g_j‖₂ in pixels for patches i, j in row-major order on a g×g grid: (g², g²).</summary>
    public static Tensor PatchDistances(int gridSize, int patchSize)
    {
        using var scope = torch.NewDisposeScope();
        var index = torch.arange(gridSize * gridSize, ScalarType.Float64);
        var rows = index.div(gridSize, RoundingMode.floor);
        var columns = index.remainder(gridSize);
        var dRows = rows.unsqueeze(1) - rows.unsqueeze(0);
        var dColumns = columns.unsqueeze(1) - columns.unsqueeze(0);
        return (dRows.square() + dColumns.square()).sqrt().mul(patchSize).MoveToOuterDisposeScope();
    }

    /// <summary>Adds block <paramref name="layerIndex"/>'s (0-based) attention (B, heads, P + g², P + g²) for a batch of images.</summary>
    public void Add(int layerIndex, Tensor attention)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layerIndex, _sums.Length);
        int patches = _gridSize * _gridSize;
        long tokens = _numProxies + patches;
        int heads = _sums[layerIndex].Length;
        if (attention.dim() != 4 || attention.shape[1] != heads || attention.shape[2] != tokens || attention.shape[3] != tokens)
        {
            throw new ArgumentException($"expected attention (B, {heads}, {tokens}, {tokens}), got [{string.Join(", ", attention.shape)}]", nameof(attention));
        }
        using var scope = torch.NewDisposeScope();
        var distances = PatchDistances(_gridSize, PatchSize).to(attention.dtype).to(attention.device);
        var patchAttention = attention[.., .., _numProxies.., _numProxies..];
        // Σ over images b, queries i and keys j of A^h_ij·d_ij, one sum per head.
        var perHead = patchAttention.mul(distances).sum([0, 2, 3]).to(ScalarType.Float64).cpu().data<double>();
        for (int h = 0; h < heads; h++)
        {
            _sums[layerIndex][h] += perHead[h];
        }
        _queryCounts[layerIndex] += attention.shape[0] * patches;
    }

    /// <summary>Adds every block's attention for a batch of normalised images (B, C, H, W), in one eval-mode pass of <paramref name="encoder"/>.</summary>
    public void Add(VisionTransformer encoder, Tensor images) =>
        FrozenEncoder.VisitLayers(encoder, images, Add);

    /// <summary>MAD in pixels, [layer][head] with 0-based indices.</summary>
    public double[][] PerLayerHead()
    {
        if (_queryCounts.Any(c => c == 0))
        {
            throw new InvalidOperationException("every layer needs attention from at least one image");
        }
        return _sums.Select((heads, layer) => heads.Select(sum => sum / _queryCounts[layer]).ToArray()).ToArray();
    }

    /// <summary>MAD [layer][head] of <paramref name="encoder"/> over every batch of normalised images.</summary>
    public static double[][] Compute(VisionTransformer encoder, IEnumerable<Tensor> imageBatches)
    {
        var distance = new AttentionDistance(encoder.Config);
        foreach (var images in imageBatches)
        {
            distance.Add(encoder, images);
        }
        return distance.PerLayerHead();
    }
}
