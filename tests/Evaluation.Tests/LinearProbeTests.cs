using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests;

public class LinearProbeTests
{
    private static readonly LinearProbeOptions FastOptions = new()
    {
        Epochs = 30,
        BatchSize = 64,
        LearningRate = 1e-2,
    };

    /// <summary>Gaussian clusters around well-separated random centres: linearly separable in practice.</summary>
    private static (Tensor Features, Tensor Labels) Clusters(Tensor centres, long count, torch.Generator generator)
    {
        var labels = torch.randint(centres.shape[0], [count], generator: generator);
        var features = centres.index_select(0, labels) + 0.5 * torch.randn(count, centres.shape[1], generator: generator);
        return (features, labels);
    }

    [Fact]
    public void SeparableFeaturesReachNearPerfectAccuracyOnEveryHead()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(3);
        var centres = 3 * torch.randn(6, 16, generator: generator);
        var (train, trainLabels) = Clusters(centres, 600, generator);
        var (test, testLabels) = Clusters(centres, 300, generator);
        ProbeFeatures[] features =
        [
            new(1, FeatureNames.Patch, train, test),
            new(2, FeatureNames.Cls, train * 0.1, test * 0.1),
        ];

        var report = LinearProbe.Run(features, trainLabels, testLabels, numClasses: 6, FastOptions);

        Assert.Equal(30, report.Epochs);
        Assert.Equal(4, report.Results.Count);
        foreach (var (layer, feature) in new[] { (1, FeatureNames.Patch), (2, FeatureNames.Cls) })
        {
            double top1 = report.Value(layer, feature, ProbeMetrics.Top1);
            Assert.True(top1 > 0.97, $"layer {layer} {feature}: top-1 {top1}");
            Assert.True(report.Value(layer, feature, ProbeMetrics.Top5) >= top1);
        }
    }

    [Fact]
    public void RandomLabelsStayAtChance()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(5);
        var train = torch.randn(1000, 16, generator: generator);
        var test = torch.randn(2000, 16, generator: generator);
        var trainLabels = torch.randint(10, [1000], generator: generator);
        var testLabels = torch.randint(10, [2000], generator: generator);

        var report = LinearProbe.Run(
            [new ProbeFeatures(0, FeatureNames.Pixels, train, test)], trainLabels, testLabels, numClasses: 10,
            FastOptions with { Epochs = 10 });

        double top1 = report.Value(0, FeatureNames.Pixels, ProbeMetrics.Top1);
        double top5 = report.Value(0, FeatureNames.Pixels, ProbeMetrics.Top5);
        Assert.InRange(top1, 0.06, 0.14);
        Assert.InRange(top5, 0.44, 0.56);
        Assert.True(top5 >= top1);
    }

    [Fact]
    public void SameSeedGivesTheSameReport()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(9);
        var train = torch.randn(200, 8, generator: generator);
        var labels = torch.randint(3, [200], generator: generator);
        ProbeFeatures[] features = [new(1, FeatureNames.Patch, train, train)];
        var options = FastOptions with { Epochs = 3, Seed = 11 };

        var first = LinearProbe.Run(features, labels, labels, 3, options);
        var second = LinearProbe.Run(features, labels, labels, 3, options);

        Assert.Equal(first.Results, second.Results);
    }

    [Fact]
    public void ReportRoundTripsThroughJson()
    {
        var report = new LinearProbeReport(
            [new ProbeResult(7, FeatureNames.Cls, ProbeMetrics.Top1, 0.625), new ProbeResult(0, FeatureNames.Pixels, ProbeMetrics.Top5, 0.5)],
            Epochs: 60);

        string json = report.ToJson();
        var back = LinearProbeReport.FromJson(json);

        Assert.Contains("\"feature\": \"cls\"", json);
        Assert.Equal(report.Epochs, back.Epochs);
        Assert.Equal(report.Results, back.Results);
    }

    [Fact]
    public void PairsEncoderFeaturesByLayer()
    {
        using var encoder = TinyEncoders.Create(numProxies: 2);
        using var images = torch.randn(3, 3, 16, 16);
        using var train = EncoderFeatureExtractor.Extract(encoder, images);
        using var test = EncoderFeatureExtractor.Extract(encoder, images);

        var features = ProbeFeatures.FromEncoder(train, test);

        Assert.Equal(
            [(1, "patch"), (1, "cls"), (2, "patch"), (2, "cls"), (3, "patch"), (3, "cls")],
            features.Select(f => (f.Layer, f.Feature)));
        Assert.Same(test.Layers[2].Cls, features[5].Test);
    }
}
