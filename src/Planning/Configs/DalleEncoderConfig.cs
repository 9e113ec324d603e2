namespace SemanticMIM.Planning.Configs;

/// <summary>DALL-E encoder shape: the released model has 256 hidden channels, 2 blocks per group, 8192 codes.</summary>
public sealed record DalleEncoderConfig
{
    public int InputChannels { get; init; } = 3;
    public int HiddenChannels { get; init; } = 256;
    public int BlocksPerGroup { get; init; } = 2;
    public int VocabSize { get; init; } = 8192;
}
