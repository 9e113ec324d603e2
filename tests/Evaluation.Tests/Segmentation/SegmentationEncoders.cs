using SemanticMIM.Evaluation.Segmentation;
using SemanticMIM.Model;
using TorchSharp;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

/// <summary>A depth-4 tiny encoder (16² images, patch 4, dim 32) and a recipe small enough for tests.</summary>
internal static class SegmentationEncoders
{
    public const int Depth = 4;

    public static VisionTransformer Create(int numProxies = 1)
    {
        torch.manual_seed(0);
        return new VisionTransformer(TinyEncoders.Config(numProxies) with { Depth = Depth });
    }

    /// <summary>The tiny recipe with heads of 16 and 8 channels and batches of 4.</summary>
    public static UperNetRecipe Recipe(int crop = 32) =>
        UperNetRecipe.Tiny with { CropSize = crop, DecodeChannels = 16, AuxiliaryChannels = 8, BatchSize = 4 };
}
