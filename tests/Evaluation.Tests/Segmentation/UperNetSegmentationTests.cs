using SemanticMIM.Evaluation.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class UperNetSegmentationTests
{
    private const int NumClasses = 3;

    /// <summary>
    /// 32 × 48 scenes in raw ADE convention: blue background (label 1) with a red (2) and a green (3) rectangle,
    /// and an unlabelled (0) one-pixel frame.
    /// </summary>
    private static (Tensor Images, Tensor Labels) Scenes(int count, int seed)
    {
        var random = new Random(seed);
        var images = torch.zeros(count, 3, 32, 48);
        var labels = torch.ones(count, 32, 48, ScalarType.Byte);
        images[.., 2] = 0.8f;
        for (int i = 0; i < count; i++)
        {
            for (int channel = 0; channel < 2; channel++)
            {
                int height = random.Next(10, 17);
                int width = random.Next(10, 17);
                int top = random.Next(0, 32 - height);
                int left = random.Next(0, 48 - width);
                var rows = top..(top + height);
                var columns = left..(left + width);
                images[i, .., rows, columns] = 0.1f;
                images[i, channel, rows, columns] = 0.9f;
                labels[i, rows, columns] = (byte)(channel + 2);
            }
        }
        labels[.., 0] = 0;
        labels[.., .., 0] = 0;
        var noise = 0.05f * torch.randn(images.shape, generator: new torch.Generator((ulong)seed));
        return ((images + noise).clamp(0, 1), labels);
    }

    private static UperNetOptions Options(int iterations) => new()
    {
        Recipe = SegmentationEncoders.Recipe(crop: 16),
        Iterations = iterations,
        LearningRate = 1e-3,
        ReduceZeroLabel = true,
        Seed = 11,
    };

    [Fact]
    public void LearnsColouredBlocksWellAboveAConstantPredictionAndLeavesTheEncoderAlone()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = SegmentationEncoders.Create(numProxies: 2);
        var before = encoder.parameters().Select(p => p.clone()).ToArray();
        var (trainImages, trainLabels) = Scenes(32, seed: 1);
        var (valImages, valLabels) = Scenes(8, seed: 2);

        var report = UperNetSegmentation.Run(encoder, trainImages, trainLabels, valImages, valLabels, NumClasses, Options(80));

        var constant = new ConfusionMatrix(NumClasses);
        var reduced = SegmentationAugmentation.ReduceZeroLabel(valLabels);
        constant.Accumulate(torch.zeros_like(reduced), reduced);
        double constantMeanIoU = constant.Metrics().MeanIoU;
        Assert.True(report.Metrics.MeanIoU > constantMeanIoU + 0.3, $"mIoU {report.Metrics.MeanIoU} vs constant {constantMeanIoU}");
        Assert.Equal(NumClasses, report.Metrics.ClassIoU.Count);
        Assert.Equal([0, 1, 2, 3], report.Taps);
        Assert.Equal(80, report.Iterations);
        Assert.StartsWith("tiny:", report.Recipe);
        Assert.Contains("iterations 160000 → 80", report.Recipe);
        Assert.True(encoder.training);
        Assert.All(encoder.parameters().Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
    }

    [Fact]
    public void TrainingIsDeterministicGivenTheSeed()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = SegmentationEncoders.Create();
        var (images, labels) = Scenes(6, seed: 3);
        var options = Options(3);

        Tensor[] TrainedParameters()
        {
            using var segmenter = new UperNetSegmenter(encoder, NumClasses, options.EffectiveRecipe(), options.Seed);
            UperNetSegmentation.Train(segmenter, images, labels, options);
            return segmenter.parameters().Select(p => p.detach().clone()).ToArray();
        }

        var first = TrainedParameters();
        var second = TrainedParameters();

        Assert.All(first.Zip(second), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
        using var fresh = new UperNetSegmenter(encoder, NumClasses, options.EffectiveRecipe(), options.Seed);
        Assert.Contains(fresh.parameters().Zip(first), pair => !pair.First.allclose(pair.Second, rtol: 0, atol: 0));
    }

    [Fact]
    public void PixelLossAveragesOverIgnoredPixelsToo()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new float[] { 0, 0, 2, 0 }).reshape(1, 2, 1, 2);
        var labels = torch.tensor(new long[] { 0, 255 }).reshape(1, 1, 2);

        // Only the first pixel counts: −log softmax([0, 2])[0] = log(1 + e²); the mean divides by both pixels.
        double expected = Math.Log(1 + Math.Exp(2)) / 2;
        Assert.Equal(expected, UperNetSegmentation.PixelLoss(logits, labels).item<float>(), 5);
    }

    [Fact]
    public void RejectsLabelsThatDoNotMatchTheImages()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = SegmentationEncoders.Create();
        var images = torch.rand(2, 3, 40, 40);
        var labels = torch.zeros(2, 40, 36, ScalarType.Byte);

        Assert.Throws<ArgumentException>(() =>
            UperNetSegmentation.Run(encoder, images, labels, images, labels, NumClasses, Options(1)));
    }
}
