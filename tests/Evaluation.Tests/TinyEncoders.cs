using SemanticMIM.Model;
using SemanticMIM.Planning.Configs;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests;

/// <summary>Randomly initialised ViTs small enough for tests that take seconds.</summary>
internal static class TinyEncoders
{
    public static VisionTransformerConfig Config(int numProxies) => new()
    {
        ImageSize = 16,
        PatchSize = 4,
        EmbedDim = 32,
        Depth = 3,
        NumHeads = 2,
        MlpDim = 64,
        NumProxies = numProxies,
    };

    public static VisionTransformer Create(int numProxies, double dropPathRate = 0)
    {
        torch.manual_seed(0);
        return new VisionTransformer(Config(numProxies) with { DropPathRate = dropPathRate });
    }
}
