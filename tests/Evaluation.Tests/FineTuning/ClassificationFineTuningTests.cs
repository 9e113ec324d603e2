using SemanticMIM.Evaluation.FineTuning;
using SemanticMIM.Model;
using SemanticMIM.Evaluation.Tests.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

public class ClassificationFineTuningTests
{
    private static readonly float[] Mean = [0.5f];
    private static readonly float[] Std = [0.25f];

    private static VisionTransformer Encoder(int numProxies = 2)
    {
        torch.manual_seed(0);
        return new VisionTransformer(TinyEncoders.Config(numProxies) with { InChannels = 1, Depth = 2 });
    }

    /// <summary>Class 0 has a bright top half, class 1 a bright bottom half, with pixel noise.</summary>
    private static (Tensor Images, Tensor Labels) TopOrBottom(long count, torch.Generator generator)
    {
        var labels = torch.arange(count) % 2;
        var rows = torch.arange(16).lt(8).to(ScalarType.Float32).view(1, 1, 16, 1);
        var brightTop = labels.eq(0).to(ScalarType.Float32).view(-1, 1, 1, 1);
        var pattern = brightTop * rows + (1 - brightTop) * (1 - rows);
        var images = (0.2f + 0.6f * pattern + 0.1f * torch.randn(count, 1, 16, 16, generator: generator)).clamp(0, 1);
        return (images, labels);
    }

    private static FineTuneOptions Options(FineTuneRecipe recipe) => new()
    {
        Recipe = recipe,
        Mean = Mean,
        Std = Std,
        Seed = 3,
    };

    [Fact]
    public void LearnsATwoClassToyTaskWellAboveChance()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = Encoder();
        var generator = new torch.Generator(1);
        var (train, trainLabels) = TopOrBottom(64, generator);
        var (test, testLabels) = TopOrBottom(32, generator);
        // Crops keep at least 90% of the area: a small crop could see only one half, which is ambiguous.
        var recipe = FineTuneRecipe.Paper with
        {
            Name = "toy", Epochs = 40, BatchSize = 8, LearningRate = 2e-3, WarmupEpochs = 1, MinScale = 0.9,
        };

        var report = ClassificationFineTuning.Run(encoder, train, trainLabels, test, testLabels, 2, Options(recipe));

        Assert.Equal(4, report.Results.Count);
        foreach (string feature in new[] { FeatureNames.Patch, FeatureNames.Cls })
        {
            double top1 = report.Value(feature, ProbeMetrics.Top1);
            Assert.True(top1 >= 0.85, $"{feature}: top-1 {top1}");
            Assert.Equal(1, report.Value(feature, ProbeMetrics.Top5));
        }
        Assert.All(report.Results, r => Assert.Equal(2, r.Layer));
        Assert.Equal(recipe.Describe(), report.Recipe);
    }

    [Fact]
    public void CodeRecipeRunsDeterministicallyAndLeavesThePretrainedEncoderAlone()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = Encoder();
        var before = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var generator = new torch.Generator(2);
        var (train, trainLabels) = TopOrBottom(24, generator);
        var (test, testLabels) = TopOrBottom(10, generator);
        var options = Options(FineTuneRecipe.MaskFeatCode.WithEpochs(2) with { BatchSize = 8 }) with
        {
            // Another size: the copy's position embeddings are resized, the original's are not.
            ImageSize = 8,
            Features = [FeatureNames.Cls],
        };

        var first = ClassificationFineTuning.Run(encoder, train, trainLabels, test, testLabels, 2, options);
        var second = ClassificationFineTuning.Run(encoder, train, trainLabels, test, testLabels, 2, options);

        Assert.Equal(first.Results, second.Results);
        Assert.Equal([FeatureNames.Cls], first.Results.Select(r => r.Feature).Distinct());
        Assert.InRange(first.Value(FeatureNames.Cls, ProbeMetrics.Top1), 0, 1);
        Assert.Contains("epochs 100 → 2", first.Recipe);
        foreach (var (name, parameter) in encoder.named_parameters())
        {
            Assert.True(TensorEquality.Identical(parameter, before[name]), $"{name} changed");
        }
        Assert.Equal(16, encoder.Config.ImageSize);
    }

    [Fact]
    public void RejectsInputsThatDoNotFit()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = Encoder();
        var (images, labels) = TopOrBottom(4, new torch.Generator(4));
        var options = Options(FineTuneRecipe.Paper with { Epochs = 1 });

        Assert.Throws<ArgumentException>(() => ClassificationFineTuning.Run(
            encoder, images, labels, images, labels, 2, options with { Mean = [0.5f, 0.5f, 0.5f] }));
        Assert.Throws<ArgumentException>(() => ClassificationFineTuning.Run(
            encoder, images, labels + 1, images, labels, 2, options));
        Assert.Throws<ArgumentException>(() => ClassificationFineTuning.Run(
            encoder, images, labels, images, labels, 2, options with { Features = [FeatureNames.Pixels] }));
        Assert.Throws<ArgumentException>(() => ClassificationFineTuning.Run(
            encoder, images, labels, images, labels, 2, options with { Recipe = FineTuneRecipe.Paper with { LayerDecay = 0 } }));
    }
}
