using SemanticMIM.Model.Tests.Support;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class ShapeTests
{
    public static TheoryData<string, int, int, MimMethod, int, TargetKind> Cases()
    {
        var data = new TheoryData<string, int, int, MimMethod, int, TargetKind>();
        foreach (var (preset, size, channels) in new[] { ("tiny", 32, 3), ("tiny", 28, 1), ("small", 224, 3), ("base", 224, 3) })
        {
            foreach (var method in new[] { MimMethod.Baseline, MimMethod.SemanticMim })
            {
                foreach (int proxies in new[] { 1, 8 })
                {
                    var target = proxies == 1 ? TargetKind.TokenIds : TargetKind.Hog;
                    data.Add(preset, size, channels, method, proxies, target);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PretrainingModelPredictsEveryMaskedPatch(string preset, int size, int channels, MimMethod method, int proxies, TargetKind target)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var encoder = ModelPresets.Get(preset) with { ImageSize = size, InChannels = channels, NumProxies = proxies };
        var config = new MimModelConfig { Encoder = encoder, Method = method, Target = target };
        using var model = new MimPretrainingModel(config);
        model.eval();
        double ratio = method == MimMethod.SemanticMim ? 0.6 : 0.4;
        var mask = TestModels.Mask(encoder, 2, ratio, seed: 1);
        int masked = (int)Math.Ceiling(encoder.NumPatches * ratio);

        var predictions = model.forward(TestModels.Images(encoder, 2, seed: 2), mask);

        int outputs = target == TargetKind.TokenIds ? 8192 : channels * 9 * 4;
        TensorAssert.Shape(predictions, 2, masked, outputs);
        Assert.Equal(method == MimMethod.SemanticMim, model.Backbone is ProxyEncoder);
    }

    [Fact]
    public void TheSpecsViTBaseShapesHold()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var config = ModelPresets.Base with { NumProxies = 8 };
        using var encoder = new ProxyEncoder(config);
        encoder.eval();
        var mask = TestModels.Mask(config, 1, 0.6, seed: 3);

        using var compressed = encoder.Compress(TestModels.Images(config, 1, seed: 4), mask);
        var reconstructed = encoder.Reconstruct(compressed.ProxyStates, mask);

        Assert.Equal(196, config.NumPatches);
        TensorAssert.Shape(compressed.Visible, 1, 8 + 78, 768);
        TensorAssert.Shape(reconstructed, 1, 118, 768);
        Assert.All(compressed.ProxyStates, state => TensorAssert.Shape(state, 1, 8, 768));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void PlainEncoderGivesEveryLayerAndItsAttention(int proxies)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var config = ModelPresets.Tiny with { NumProxies = proxies };
        using var vit = new VisionTransformer(config);
        vit.eval();
        var images = TestModels.Images(config, 3, seed: 5);

        var features = vit.ForwardFeatures(images);
        var attention = vit.AttentionMaps(images, layer: 3);

        Assert.Equal(config.Depth, features.Length);
        Assert.All(features, f => TensorAssert.Shape(f, 3, proxies + 64, 192));
        TensorAssert.Shape(attention, 3, 3, proxies + 64, proxies + 64);
        TensorAssert.RelativelyClose(torch.ones(3, 3, proxies + 64), attention.sum(-1), 1e-5, "attention rows sum to 1");
        TensorAssert.Equal(features[^1], vit.forward(images), "forward is the last layer");
    }

    [Fact]
    public void InvalidConfigurationsListEveryProblem()
    {
        var bad = ModelPresets.Tiny with { ImageSize = 30, EmbedDim = 100, NumHeads = 3, NumProxies = 0, DropPathRate = 1.5 };

        var error = Assert.Throws<ArgumentException>(() => new VisionTransformer(bad));

        Assert.Contains("ImageSize 30 is not a multiple of PatchSize 4", error.Message);
        Assert.Contains("EmbedDim 100 is not divisible by NumHeads 3", error.Message);
        Assert.Contains("NumProxies must be positive", error.Message);
        Assert.Contains("DropPathRate", error.Message);
    }

    [Fact]
    public void MasksWithUnequalCountsAreRejected()
    {
        using var scope = torch.NewDisposeScope();
        var config = TestModels.Micro();
        using var encoder = new MimEncoder(config);
        var mask = torch.zeros(2, config.NumPatches, ScalarType.Bool);
        mask[0, 0] = torch.tensor(true);

        var images = TestModels.Images(config, 2, 1);

        var error = Assert.Throws<ArgumentException>(() => { encoder.ForwardMasked(images, mask).Dispose(); });

        Assert.Contains("same number of patches", error.Message);
    }
}
