using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>
/// Head-averaged attention maps of one layer on the patch grid (spec (g)), float32 on the CPU.
/// <see cref="Proxies"/> is (B, P, g, g): what each proxy/CLS token attends to; <see cref="Queries"/> is
/// (B, Q, g, g): what the patches <see cref="QueryPatches"/> attend to. Only patch columns are kept and they are
/// not renormalised, so a map sums to the share of attention that went to patches.
/// </summary>
public sealed record ProxyAttentionMaps(Tensor Proxies, Tensor Queries, IReadOnlyList<int> QueryPatches, int GridSize, int PatchSize) : IDisposable
{
    public void Dispose()
    {
        Proxies.Dispose();
        Queries.Dispose();
    }
}
