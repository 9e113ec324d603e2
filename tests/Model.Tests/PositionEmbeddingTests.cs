using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class PositionEmbeddingTests
{
    [Fact]
    public void ResizingToTheSameGridReproducesTheInput()
    {
        using var scope = torch.NewDisposeScope();
        var posEmbed = torch.randn(1, 8 + 16, 6, generator: new torch.Generator(3));

        var resized = PositionEmbedding.Resize(posEmbed, proxies: 8, newGrid: 4);

        Assert.True(resized.equal(posEmbed).all().item<bool>());
    }

    [Fact]
    public void ResizingKeepsTheProxyRowsAndInterpolatesThePatchRowsBicubically()
    {
        using var scope = torch.NewDisposeScope();
        var posEmbed = torch.randn(1, 2 + 9, 4, generator: new torch.Generator(5));

        var resized = PositionEmbedding.Resize(posEmbed, proxies: 2, newGrid: 5);

        Assert.Equal(new long[] { 1, 2 + 25, 4 }, resized.shape);
        Assert.True(resized[.., ..2].equal(posEmbed[.., ..2]).all().item<bool>());
        // Independent route: the same (D, 3, 3) image through bicubic interpolation, flattened row-major.
        var image = posEmbed[0, 2..].T.reshape(4, 3, 3).unsqueeze(0);
        var expected = nn.functional.interpolate(image, [5, 5], mode: InterpolationMode.Bicubic, align_corners: false)
            .reshape(4, 25).T;
        Assert.True(resized[0, 2..].allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void ANonSquarePatchGridIsRejected()
    {
        using var posEmbed = torch.zeros(1, 1 + 12, 4);

        var error = Assert.Throws<ArgumentException>(() => PositionEmbedding.Resize(posEmbed, proxies: 1, newGrid: 4));

        Assert.Contains("square", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAdaptedEncoderAtTheSameSizeComputesTheSameFeatures()
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(11);
        var config = ModelPresets.Get("tiny") with { ImageSize = 16, PatchSize = 4, InChannels = 1, NumProxies = 3, Depth = 2 };
        using var encoder = new VisionTransformer(config);
        encoder.eval();
        using var adapted = encoder.Adapted(16, dropPathRate: 0.1);
        adapted.eval();
        var images = torch.randn(2, 1, 16, 16, generator: new torch.Generator(2));

        using var noGrad = torch.no_grad();
        Assert.True(adapted.forward(images).allclose(encoder.forward(images), rtol: 1e-5, atol: 1e-6));
        Assert.Equal(0.1, adapted.Config.DropPathRate);
    }

    [Fact]
    public void AnAdaptedEncoderRunsAtTheNewSizeWithTheResizedGrid()
    {
        using var scope = torch.NewDisposeScope();
        var config = ModelPresets.Get("tiny") with { ImageSize = 16, PatchSize = 4, InChannels = 1, NumProxies = 2, Depth = 2 };
        using var encoder = new VisionTransformer(config);
        using var adapted = encoder.Adapted(32, dropPathRate: 0);

        using var noGrad = torch.no_grad();
        var output = adapted.forward(torch.zeros(1, 1, 32, 32));

        Assert.Equal(new long[] { 1, 2 + 64, config.EmbedDim }, output.shape);
        Assert.True(adapted.get_parameter("cls_token")!.equal(encoder.get_parameter("cls_token")!).all().item<bool>());
    }
}
