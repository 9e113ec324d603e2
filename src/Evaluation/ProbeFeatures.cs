using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// One input of the linear probe: (N, D) train and (M, D) test features of one layer (1-based, 0 for the
/// raw-pixel control) and feature kind (<see cref="FeatureNames"/>). Borrows its tensors; the caller disposes them.
/// </summary>
public sealed record ProbeFeatures(int Layer, string Feature, Tensor Train, Tensor Test)
{
    /// <summary>The "patch" and "cls" features of every layer, matched by layer.</summary>
    public static IReadOnlyList<ProbeFeatures> FromEncoder(EncoderFeatures train, EncoderFeatures test)
    {
        if (train.Layers.Count != test.Layers.Count)
        {
            throw new ArgumentException(
                $"train has {train.Layers.Count} layers but test has {test.Layers.Count}", nameof(test));
        }
        return train.Layers.Zip(test.Layers)
            .SelectMany(pair => new[]
            {
                new ProbeFeatures(pair.First.Layer, FeatureNames.Patch, pair.First.Patch, pair.Second.Patch),
                new ProbeFeatures(pair.First.Layer, FeatureNames.Cls, pair.First.Cls, pair.Second.Cls),
            })
            .ToArray();
    }
}
