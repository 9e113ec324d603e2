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
        Assert.True(report.Metrics.MeanIoU > 0.9, $"mIoU {report.Metrics.MeanIoU}");
        Assert.Equal(NumClasses, report.Metrics.ClassIoU.Count);
        Assert.Equal(report.Metrics.MeanIoU, report.Results.Single(r => r.Metric == ProbeMetrics.MeanIoU).Value);
    }

    [Fact]
    public void WorksAtAnyLabelSizeAndDefaultsToTheLastLayer()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 1);
        var generator = new torch.Generator(4);
        var (images, labels) = PatchColourScenes(8, 8, generator);
        using var probe = new LinearSegmentationProbe(encoder, NumClasses, FastOptions with { Epochs = 1 });

        probe.Train(images, labels);
        var metrics = probe.Evaluate(images, labels);

        Assert.Equal(3, probe.Layer);
        Assert.Equal([8L, 8L, 8L], labels.shape);
        Assert.Equal([2L, 10L, 6L], probe.Predict(images[..2], 10, 6).shape);
        Assert.InRange(metrics.PixelAccuracy, 0, 1);
    }

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
