namespace SemanticMIM.Evaluation;

/// <summary>Probe features of every encoder layer, first layer first; owns and disposes them.</summary>
public sealed class EncoderFeatures(IReadOnlyList<LayerFeatures> layers) : IDisposable
{
    public IReadOnlyList<LayerFeatures> Layers { get; } = layers;

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }
    }
}
