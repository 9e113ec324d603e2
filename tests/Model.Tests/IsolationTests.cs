using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

/// <summary>Image tokens and mask tokens never see each other in the proxy encoder; the proxies are the only bridge.</summary>
public sealed class IsolationTests
{
    private static (Tensor Images, Tensor Mask) Inputs(VisionTransformerConfig config, int seed) =>
        (TestModels.Images(config, 2, seed), TestModels.Mask(config, 2, 0.6, seed + 100));

    // Replaces the pixels of every masked patch with fresh noise: nothing a correct encoder may read.
    private static Tensor ScrambleMaskedPixels(VisionTransformerConfig config, Tensor images, Tensor mask)
    {
        int p = config.PatchSize, g = config.GridSize;
        var pixelMask = mask.view(-1, 1, g, 1, g, 1).expand(-1, config.InChannels, -1, p, -1, p)
            .reshape(images.shape);
        return torch.where(pixelMask, torch.randn_like(images) * 5, images);
    }

    [Theory]
    [InlineData(BlockFlavour.Beit)]
    [InlineData(BlockFlavour.MaskFeat)]
    public void ImageAndProxyOutputsIgnoreTheMaskTokens(BlockFlavour flavour)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var config = TestModels.Micro(flavour);
        using var encoder = new ProxyEncoder(config);
        encoder.eval();
        var (images, mask) = Inputs(config, 1);

        using var before = encoder.Compress(images, mask);
        var maskedBefore = encoder.Reconstruct(before.ProxyStates, mask);
        encoder.get_parameter("mask_token")!.add_(torch.randn(1, 1, config.EmbedDim));
        using var after = encoder.Compress(ScrambleMaskedPixels(config, images, mask), mask);
        var maskedAfter = encoder.Reconstruct(after.ProxyStates, mask);

        TensorAssert.Equal(before.Visible, after.Visible, "proxies and image tokens");
        Assert.True((maskedBefore - maskedAfter).abs().max().item<float>() > 1e-3, "the mask outputs should follow the mask token");
    }

    [Fact]
    public void MaskOutputsReadTheImageOnlyThroughTheProxies()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        // MaskFeat flavour: without the 0.1 layer scales an untrained encoder's outputs vary visibly with the image.
        var config = TestModels.Micro(BlockFlavour.MaskFeat);
        using var encoder = new ProxyEncoder(config);
        encoder.eval();
        var (imagesA, mask) = Inputs(config, 2);
        var imagesB = TestModels.Images(config, 2, seed: 77);

        using var fromA = encoder.Compress(imagesA, mask);
        using var fromB = encoder.Compress(imagesB, mask);
        var outputA = encoder.ForwardMasked(imagesA, mask);
        var outputB = encoder.ForwardMasked(imagesB, mask);

        Assert.True((outputA - outputB).abs().max().item<float>() > 1e-3, "different images must give different predictions");
        // Reconstruction takes no image at all: given A's proxy states it reproduces A's predictions exactly,
        // and given B's it reproduces B's, so the proxy states carry everything the mask tokens learn of an image.
        TensorAssert.Equal(outputA, encoder.Reconstruct(fromA.ProxyStates, mask), "A's proxies give A's predictions");
        TensorAssert.Equal(outputB, encoder.Reconstruct(fromB.ProxyStates, mask), "B's proxies give B's predictions");
    }

    [Fact]
    public void GradientsReachTheImageOnlyThroughTheProxyKeysAndValues()
    {
        using var scope = torch.NewDisposeScope();
        var config = TestModels.Micro();
        using var encoder = new ProxyEncoder(config);
        encoder.eval();
        var (images, mask) = Inputs(config, 3);
        images.requires_grad_(true);

        using (var compressed = encoder.Compress(images, mask))
        {
            var detached = compressed.ProxyStates.Select(s => s.detach()).ToArray();
            encoder.Reconstruct(detached, mask).sum().backward();
        }
        Assert.True(images.grad is null || images.grad.abs().max().item<float>() == 0f,
            "with the proxies detached no gradient may reach the pixels");

        images.grad?.zero_();
        encoder.ForwardMasked(images, mask).sum().backward();
        Assert.True(images.grad!.abs().max().item<float>() > 0f, "through the proxies the gradient must reach the pixels");
    }

    [Fact]
    public void TheBaselineMixesImageAndMaskTokensButIgnoresMaskedPixels()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var config = TestModels.Micro(proxies: 1);
        using var encoder = new MimEncoder(config);
        encoder.eval();
        var (images, mask) = Inputs(config, 4);

        var output = encoder.ForwardMasked(images, mask);
        var scrambled = encoder.ForwardMasked(ScrambleMaskedPixels(config, images, mask), mask);
        var otherImage = encoder.ForwardMasked(TestModels.Images(config, 2, seed: 99), mask);

        TensorAssert.Equal(output, scrambled, "masked pixels are never read");
        Assert.True((output - otherImage).abs().max().item<float>() > 1e-3);
    }
}
