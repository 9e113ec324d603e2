namespace SemanticMIM.Planning.Configs;

/// <summary>Which encoder routes information to the mask tokens.</summary>
public enum MimMethod
{
    /// <summary>BEiT / MaskFeat: mask tokens in the joint sequence.</summary>
    Baseline,

    /// <summary>SemanticMIM: mask tokens see the image only through the proxies.</summary>
    SemanticMim,
}

/// <summary>What the masked tokens predict.</summary>
public enum TargetKind
{
    /// <summary>Discrete visual-tokenizer ids (DALL-E dVAE or the project's VQ tokenizer), BEiT head.</summary>
    TokenIds,

    /// <summary>HOG features, MaskFeat head.</summary>
    Hog,
}

/// <summary>Everything that fixes the pretraining model's shape.</summary>
public sealed record MimModelConfig
{
    public required VisionTransformerConfig Encoder { get; init; }

    public MimMethod Method { get; init; } = MimMethod.SemanticMim;

    public TargetKind Target { get; init; } = TargetKind.TokenIds;

    /// <summary>Tokenizer vocabulary size for <see cref="TargetKind.TokenIds"/> (8192 for DALL-E).</summary>
    public int VocabSize { get; init; } = 8192;

    /// <summary>HOG settings for <see cref="TargetKind.Hog"/>; defaults to the spec's settings for the patch size.</summary>
    public HogConfig? Hog { get; init; }

    public HogConfig HogOrDefault => Hog ?? (Encoder.PatchSize == 16 ? new HogConfig() : HogConfig.ForPatch(Encoder.PatchSize));

    /// <summary>Output size of the head per masked token.</summary>
    public int HeadOutputDim => Target == TargetKind.TokenIds ? VocabSize : HogOrDefault.FeatureDim(Encoder.InChannels);
}
