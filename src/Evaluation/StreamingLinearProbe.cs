using SemanticMIM.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// The linear probe of spec (f) with its augmentation: every epoch, fresh training views go through the frozen
/// encoder (eval mode, no gradients) and the "patch" and "cls" features of every layer (as
/// <see cref="EncoderFeatureExtractor"/> computes them) train one head per layer and feature on the same batch.
/// Nothing is stored between batches, so memory does not depend on the data set's size.
/// </summary>
public static class StreamingLinearProbe
{
    /// <param name="trainBatches">The training batches of an epoch (0-based), views already drawn and normalised.</param>
    /// <param name="testBatches">The test batches (the test transform applied); enumerated once.</param>
    /// <param name="trainCount">Training images per epoch, for the per-step cosine schedule.</param>
    public static LinearProbeReport Run(
        VisionTransformer encoder, Func<int, IEnumerable<LabelledBatch>> trainBatches, IEnumerable<LabelledBatch> testBatches,
        long trainCount, int numClasses, LinearProbeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainCount, 1);
        int depth = encoder.Config.Depth;
        var device = encoder.parameters().First().device;
        var keys = Enumerable.Range(1, depth).SelectMany(layer => new[] { (Layer: layer, Feature: FeatureNames.Patch), (Layer: layer, Feature: FeatureNames.Cls) }).ToArray();
        using var generator = new torch.Generator(options.Seed);
        var heads = keys.Select(_ => LinearProbe.NewHead(encoder.Config.EmbedDim, numClasses, device, generator)).ToArray();
        using var evalMode = new EvalMode(encoder);
        try
        {
            long stepsPerEpoch = (trainCount + options.BatchSize - 1) / options.BatchSize;
            long totalSteps = options.Epochs * stepsPerEpoch;
            var schedule = LinearProbe.Schedule(options.LearningRate, totalSteps);
            using var optimizer = torch.optim.AdamW(heads.SelectMany(h => h.parameters()), options.LearningRate, weight_decay: options.WeightDecay);
            long step = 0;
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                foreach (var batch in trainBatches(epoch))
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    using var scope = torch.NewDisposeScope();
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.LearningRate = schedule.At((int)Math.Min(step, totalSteps - 1));
                    }
                    var features = Features(encoder, batch.Images.to(device));
                    var labels = batch.Labels.to(ScalarType.Int64).to(device);
                    var loss = heads.Select((head, i) => nn.functional.cross_entropy(head.forward(features[i]), labels))
                        .Aggregate((sum, term) => sum + term);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    step++;
                }
            }
            return Score(encoder, heads, keys, testBatches, device, options.Epochs);
        }
        finally
        {
            foreach (var head in heads)
            {
                head.Dispose();
            }
        }
    }

    private static LinearProbeReport Score(
        VisionTransformer encoder, Linear[] heads, (int Layer, string Feature)[] keys, IEnumerable<LabelledBatch> testBatches, Device device, int epochs)
    {
        using var noGrad = torch.no_grad();
        var top1 = new long[heads.Length];
        var top5 = new long[heads.Length];
        long count = 0;
        foreach (var batch in testBatches)
        {
            using var scope = torch.NewDisposeScope();
            var features = Features(encoder, batch.Images.to(device));
            var labels = batch.Labels.to(device);
            for (int i = 0; i < heads.Length; i++)
            {
                var (hits1, hits5) = LinearProbe.Hits(heads[i].forward(features[i]), labels);
                top1[i] += hits1;
                top5[i] += hits5;
            }
            count += labels.shape[0];
        }
        if (count == 0)
        {
            throw new ArgumentException("no test batches to score the probe on", nameof(testBatches));
        }
        var results = keys.SelectMany((key, i) => new[]
        {
            new ProbeResult(key.Layer, key.Feature, ProbeMetrics.Top1, (double)top1[i] / count),
            new ProbeResult(key.Layer, key.Feature, ProbeMetrics.Top5, (double)top5[i] / count),
        }).ToList();
        return new LinearProbeReport(results, epochs);
    }

    /// <summary>Per layer, the patch then the cls feature of the batch, in the order of the heads; no gradients.</summary>
    private static Tensor[] Features(VisionTransformer encoder, Tensor images)
    {
        using var noGrad = torch.no_grad();
        int proxies = encoder.Config.NumProxies;
        return encoder.ForwardFeatures(images)
            .SelectMany(tokens => new[]
            {
                ParameterFreeLayerNorm.Apply(tokens[.., proxies..].mean([1])),
                ParameterFreeLayerNorm.Apply(tokens[.., ..proxies].mean([1])),
            })
            .ToArray();
    }
}
