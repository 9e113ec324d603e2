namespace SemanticMIM.Planning.Configs;

/// <summary>How the engine picks the masked patches of each image.</summary>
public enum MaskingStrategy
{
    /// <summary>ceil(N·r) patches uniformly at random (SimMIM / SemanticMIM's generator).</summary>
    Random,

    /// <summary>BEiT's blockwise masking, filled up to the same count.</summary>
    Blockwise,
}
