using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests;

public class LinearSegmentationProbeTests
{
    private const int NumClasses = 3;

    private static readonly SegmentationProbeOptions FastOptions = new()
    {
        Epochs = 20,
        BatchSize = 16,
        LearningRate = 0.5,
        StepEpochs = 15,
        TrainLabelSize = 0,
        Augment = false,
    };

    /// <summary>16×16 images whose 4×4 patches are filled with their class's colour; labels at <paramref name="labelSize"/>.</summary>
    private static (Tensor Images, Tensor Labels) PatchColourScenes(long count, long labelSize, torch.Generator generator)
    {
        var patchClasses = torch.randint(NumClasses, [count, 4, 4], generator: generator);
        var colours = torch.tensor(new float[] { 1, -1, -1, -1, 1, -1, -1, -1, 1 }).reshape(NumClasses, 3);
        var patchColours = colours.index_select(0, patchClasses.flatten()).reshape(count, 4, 4, 3).permute(0, 3, 1, 2);
        var images = patchColours.repeat_interleave(4, 2).repeat_interleave(4, 3)
            + 0.1 * torch.randn(count, 3, 16, 16, generator: generator);
        var scale = labelSize / 4;
        var labels = patchClasses.repeat_interleave(scale, 1).repeat_interleave(scale, 2).to(ScalarType.Byte);
        labels[.., 0, 0] = 255;
        return (images, labels);
    }

    [Fact]
    public void LearnsPatchColourClassesFromAFrozenRandomEncoder()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 8);
        var generator = new torch.Generator(2);
        var (trainImages, trainLabels) = PatchColourScenes(96, 16, generator);
        var (valImages, valLabels) = PatchColourScenes(32, 16, generator);

        var report = LinearSegmentationProbe.Run(
            encoder, NumClasses, trainImages, trainLabels, valImages, valLabels, FastOptions with { Layer = 2 });

        Assert.Equal(2, report.Layer);
        Assert.True(report.Last.MeanIoU > 0.9, $"mIoU {report.Last.MeanIoU}");
        Assert.Equal(NumClasses, report.Last.ClassIoU.Count);
        Assert.InRange(report.BestEpoch, 1, FastOptions.Epochs);
        Assert.True(report.Best.MeanIoU >= report.Last.MeanIoU);
        Assert.Equal(report.Best.MeanIoU, report.Results.Single(r => r.Metric == ProbeMetrics.MeanIoU).Value);
        Assert.Equal(report.Last.MeanIoU, report.Results.Single(r => r.Metric == ProbeMetrics.MeanIoULast).Value);
    }

    [Fact]
    public void WorksAtAnyLabelSizeAndDefaultsToTheOfficialLayer()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 1);
        var generator = new torch.Generator(4);
        var (images, labels) = PatchColourScenes(8, 8, generator);
        using var probe = new LinearSegmentationProbe(encoder, NumClasses, FastOptions with { Epochs = 1 });

        probe.Train(images, labels);
        var metrics = probe.Evaluate(images, labels);

        // The official code probes block 8 of 12; a 3-block encoder gets round(3 · 8 / 12) = 2.
        Assert.Equal(2, probe.Layer);
        Assert.Equal([8L, 8L, 8L], labels.shape);
        Assert.Equal([2L, 10L, 6L], probe.Predict(images[..2], 10, 6).shape);
        Assert.InRange(metrics.PixelAccuracy, 0, 1);
    }

    [Fact]
    public void TrainsOnAugmentedViewsAt100x100AndStillLearns()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 1);
        var generator = new torch.Generator(8);
        var (trainImages, trainLabels) = PatchColourScenes(64, 16, generator);
        var (valImages, valLabels) = PatchColourScenes(16, 16, generator);
        var options = FastOptions with { Layer = 1, Epochs = 8, TrainLabelSize = 100, Augment = true, MinScale = 0.8 };
        var epochs = new List<int>();

        using var probe = new LinearSegmentationProbe(encoder, NumClasses, options);
        probe.Train(trainImages, trainLabels, epochs.Add);
        var metrics = probe.Evaluate(valImages, valLabels);

        Assert.Equal(Enumerable.Range(1, 8), epochs);
        Assert.True(metrics.MeanIoU > 0.6, $"mIoU {metrics.MeanIoU}");
    }

    [Theory]
    [InlineData(0, 60, 0.01)]
    [InlineData(0, 120, 0.02)]
    [InlineData(0.5, 120, 0.5)]
    public void TheLearningRateScalesWithTheBatchUnlessGiven(double given, int batch, double expected)
    {
        var options = new SegmentationProbeOptions { LearningRate = given, BatchSize = batch };
        Assert.Equal(expected, options.EffectiveLearningRate, 12);
    }

    [Theory]
    [InlineData(12, 0, 8)]
    [InlineData(6, 0, 4)]
    [InlineData(2, 0, 1)]
    [InlineData(12, 5, 5)]
    public void TheDefaultLayerIsTheOfficialEighthOfTwelve(int depth, int layer, int expected) =>
        Assert.Equal(expected, new SegmentationProbeOptions { Layer = layer }.LayerFor(depth));

    [Fact]
    public void LeavesTheEncoderUntouched()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 1);
        var before = encoder.parameters().Select(p => p.clone()).ToArray();
        var (images, labels) = PatchColourScenes(8, 16, new torch.Generator(6));

        using (var probe = new LinearSegmentationProbe(encoder, NumClasses, FastOptions with { Epochs = 2 }))
        {
            probe.Train(images, labels);
        }

        Assert.All(encoder.parameters().Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
    }

    [Fact]
    public void RejectsImagesOfAnotherSizeThanTheEncoders()
    {
        using var encoder = TinyEncoders.Create(numProxies: 1);
        using var probe = new LinearSegmentationProbe(encoder, NumClasses, FastOptions);
        using var images = torch.randn(2, 3, 20, 20);
        Assert.Throws<ArgumentException>(() => probe.Predict(images, 20, 20));
    }
}
