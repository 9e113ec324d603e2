namespace SemanticMIM.Evaluation;

/// <summary>The names a probe result gives the feature it was trained on.</summary>
public static class FeatureNames
{
    /// <summary>LN(mean of the patch tokens).</summary>
    public const string Patch = "patch";

    /// <summary>LN(mean of the P class/proxy tokens).</summary>
    public const string Cls = "cls";

    /// <summary>Flattened normalised pixels: the raw-pixel control.</summary>
    public const string Pixels = "pixels";
}
