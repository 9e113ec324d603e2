using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests.Support;

internal static class TestModels
{
    /// <summary>A very small encoder shape for fast tests: 16×16 images, patch 4 (16 patches), D 32, 2 heads.</summary>
    public static VisionTransformerConfig Micro(BlockFlavour flavour = BlockFlavour.Beit, int proxies = 4, int depth = 2) => new()
    {
        ImageSize = 16, PatchSize = 4, InChannels = 3, EmbedDim = 32, Depth = depth, NumHeads = 2, MlpDim = 64,
        NumProxies = proxies, Flavour = flavour,
    };

    public static Tensor Images(VisionTransformerConfig config, int batch, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return torch.randn([batch, config.InChannels, config.ImageSize, config.ImageSize], generator: generator);
    }

    public static Tensor Mask(VisionTransformerConfig config, int batch, double ratio, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return new Masking.RandomPatchMasker(config.GridSize, ratio).Generate(batch, generator);
    }
}
