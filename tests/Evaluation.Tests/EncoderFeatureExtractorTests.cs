using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests;

public class EncoderFeatureExtractorTests
{
    private static Tensor Images(long count) =>
        torch.randn(count, 3, 16, 16, generator: new torch.Generator(7));

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void GivesPatchAndClsFeaturesOfEveryLayer(int numProxies)
    {
        using var encoder = TinyEncoders.Create(numProxies);
        using var images = Images(5);
        using var features = EncoderFeatureExtractor.Extract(encoder, images, batchSize: 2);
        Assert.Equal([1, 2, 3], features.Layers.Select(l => l.Layer));
        foreach (var layer in features.Layers)
        {
            Assert.Equal([5L, 32L], layer.Patch.shape);
            Assert.Equal([5L, 32L], layer.Cls.shape);
            Assert.Equal(ScalarType.Float32, layer.Patch.dtype);
            Assert.Equal(DeviceType.CPU, layer.Cls.device_type);
        }
    }

    [Fact]
    public void FeaturesAreNormalisedMeansOfTheTokens()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 4);
        var images = Images(3);
        using var features = EncoderFeatureExtractor.Extract(encoder, images, batchSize: 2);
        encoder.eval();
        using var noGrad = torch.no_grad();
        var tokens = encoder.ForwardFeatures(images)[1];
        var patch = ParameterFreeLayerNorm.Apply(tokens[.., 4..].mean([1]));
        var cls = ParameterFreeLayerNorm.Apply(tokens[.., ..4].mean([1]));
        Assert.True(features.Layers[1].Patch.allclose(patch, rtol: 1e-4, atol: 1e-5));
        Assert.True(features.Layers[1].Cls.allclose(cls, rtol: 1e-4, atol: 1e-5));
        Assert.True(features.Layers[1].Patch.mean([1]).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void RunsTheEncoderInEvalModeAndRestoresItsMode()
    {
        using var scope = torch.NewDisposeScope();
        // Drop path would make training-mode features random.
        using var encoder = TinyEncoders.Create(numProxies: 1, dropPathRate: 0.5);
        var images = Images(4);
        encoder.train();
        using var first = EncoderFeatureExtractor.Extract(encoder, images, batchSize: 4);
        using var second = EncoderFeatureExtractor.Extract(encoder, images, batchSize: 3);
        Assert.True(encoder.training);
        Assert.True(first.Layers[^1].Patch.allclose(second.Layers[^1].Patch, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void SpilledFeaturesAreMappedFilesEqualToTheHeldOnesAndProbeTheSame()
    {
        using var folder = new TempDirectory();
        using var encoder = TinyEncoders.Create(numProxies: 2);
        using var train = Images(12);
        using var test = Images(6);
        using var trainLabels = torch.arange(12) % 3;
        using var testLabels = torch.arange(6) % 3;
        var options = new LinearProbeOptions { Epochs = 3, BatchSize = 5, Seed = 11 };

        using var heldTrain = EncoderFeatureExtractor.Extract(encoder, train, batchSize: 5);
        using var heldTest = EncoderFeatureExtractor.Extract(encoder, test, batchSize: 5);
        using var spilledTrain = EncoderFeatureExtractor.Extract(encoder, ImageBatches.Of(train, 5), folder.Path);
        using var spilledTest = EncoderFeatureExtractor.Extract(encoder, ImageBatches.Of(test, 5), folder.Path);
        var held = LinearProbe.Run(ProbeFeatures.FromEncoder(heldTrain, heldTest), trainLabels, testLabels, 3, options);
        var spilled = LinearProbe.Run(ProbeFeatures.FromEncoder(spilledTrain, spilledTest), trainLabels, testLabels, 3, options);

        Assert.Equal(12, Directory.GetFiles(folder.Path).Length); // 3 layers × 2 features × 2 splits
        foreach (var (a, b) in heldTrain.Layers.Zip(spilledTrain.Layers))
        {
            Assert.True(a.Patch.equal(b.Patch).all().ToBoolean() && a.Cls.equal(b.Cls).all().ToBoolean(), $"layer {a.Layer}");
        }
        Assert.Equal(held.Results, spilled.Results);
    }

    [Fact]
    public void FeatureFilesRejectRowsOfAnotherWidth()
    {
        using var folder = new TempDirectory();
        using var file = new FeatureFile(folder.File("rows.f32"));
        using var rows = torch.ones(2, 4);
        using var wider = torch.ones(2, 5);
        file.Append(rows);
        Assert.Throws<ArgumentException>(() => file.Append(wider));
        using var mapped = file.Map();
        Assert.Equal([2L, 4L], mapped.shape);
        Assert.Equal(8, mapped.sum().item<float>());
    }
}
