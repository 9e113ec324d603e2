using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests;

public class StreamingLinearProbeTests
{
    [Fact]
    public void WithTheSameViewsEveryEpochItMatchesTheProbeOnPrecomputedFeatures()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 4, dropPathRate: 0.2);
        var generator = new torch.Generator(12);
        var trainImages = torch.randn(48, 3, 16, 16, generator: generator);
        var trainLabels = torch.randint(3, [48], generator: generator);
        var testImages = torch.randn(20, 3, 16, 16, generator: generator);
        var testLabels = torch.randint(3, [20], generator: generator);
        // One batch per epoch: the loss is a mean over the batch, so the precomputed probe's shuffling does not matter.
        var options = new LinearProbeOptions { Epochs = 6, BatchSize = 64, LearningRate = 0.05, Seed = 3 };

        using var train = EncoderFeatureExtractor.Extract(encoder, trainImages);
        using var test = EncoderFeatureExtractor.Extract(encoder, testImages);
        var precomputed = LinearProbe.Run(ProbeFeatures.FromEncoder(train, test), trainLabels, testLabels, 3, options);
        var streamed = StreamingLinearProbe.Run(encoder, _ => [new LabelledBatch(trainImages, trainLabels)],
            [new LabelledBatch(testImages[..7], testLabels[..7]), new LabelledBatch(testImages[7..], testLabels[7..])], 48, 3, options);

        Assert.Equal(precomputed.Results.Count, streamed.Results.Count);
        Assert.Equal(precomputed.Results, streamed.Results);
        Assert.True(encoder.training, "the encoder's training mode is restored");
    }

    [Fact]
    public void LearnsFromFreshViewsEveryEpoch()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = TinyEncoders.Create(numProxies: 1);
        var generator = new torch.Generator(4);
        // Class = which colour channel is bright; every epoch adds new noise, as fresh views would.
        Tensor Images(Tensor labels, torch.Generator g)
        {
            var images = 0.3f * torch.randn(labels.shape[0], 3, 16, 16, generator: g);
            var first = labels.eq(0).to(ScalarType.Float32).reshape(-1, 1, 1);
            images[.., 0] += 2 * first;
            images[.., 2] += 2 * (1 - first);
            return images;
        }
        var trainLabels = torch.randint(2, [64], generator: generator);
        var testLabels = torch.randint(2, [32], generator: generator);
        var testImages = Images(testLabels, generator);
        var epochs = new List<int>();

        var report = StreamingLinearProbe.Run(encoder, epoch =>
        {
            epochs.Add(epoch);
            return [new LabelledBatch(Images(trainLabels, generator), trainLabels)];
        }, [new LabelledBatch(testImages, testLabels)], 64, 2, new LinearProbeOptions { Epochs = 30, BatchSize = 64, LearningRate = 0.05 });

        Assert.Equal(Enumerable.Range(0, 30), epochs);
        Assert.Equal(2 * 2 * 3, report.Results.Count);
        Assert.True(report.Value(3, FeatureNames.Patch, ProbeMetrics.Top1) > 0.9, report.ToJson());
    }
}
