namespace SemanticMIM.Planning.Configs;

/// <summary>Named encoder shapes. Image size, channels, proxies and flavour are adjusted with <c>with</c>.</summary>
public static class ModelPresets
{
    /// <summary>The spec's tiny configuration: 32×32 (or 28×28) inputs, patch 4, D 192, 3 heads of 64, depth 6, MLP 768.</summary>
    public static VisionTransformerConfig Tiny { get; } = new()
    {
        ImageSize = 32, PatchSize = 4, EmbedDim = 192, Depth = 6, NumHeads = 3, MlpDim = 768,
    };

    /// <summary>ViT-S/16 at 224: D 384, 6 heads of 64, depth 12, MLP 1536.</summary>
    public static VisionTransformerConfig Small { get; } = new()
    {
        ImageSize = 224, PatchSize = 16, EmbedDim = 384, Depth = 12, NumHeads = 6, MlpDim = 1536,
    };

    /// <summary>ViT-B/16 at 224: D 768, 12 heads of 64, depth 12, MLP 3072 (the paper's encoder).</summary>
    public static VisionTransformerConfig Base { get; } = new()
    {
        ImageSize = 224, PatchSize = 16, EmbedDim = 768, Depth = 12, NumHeads = 12, MlpDim = 3072,
    };

    public static IReadOnlyDictionary<string, VisionTransformerConfig> All { get; } =
        new Dictionary<string, VisionTransformerConfig>(StringComparer.OrdinalIgnoreCase)
        {
            ["tiny"] = Tiny,
            ["small"] = Small,
            ["base"] = Base,
        };

    public static VisionTransformerConfig Get(string name) =>
        All.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"unknown preset '{name}'; known presets: {string.Join(", ", All.Keys)}");
}
