using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Probe features of one encoder layer (1-based <paramref name="Layer"/>) for N images: <paramref name="Patch"/>
/// and <paramref name="Cls"/> are (N, D) float tensors on the CPU, owned by this record.
/// </summary>
public sealed record LayerFeatures(int Layer, Tensor Patch, Tensor Cls) : IDisposable
{
    public void Dispose()
    {
        Patch.Dispose();
        Cls.Dispose();
    }
}
