using SemanticMIM.Model;
using SemanticMIM.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Linear classification probe on precomputed features (spec (f)): one Linear head per (layer, feature), all
/// trained together on the same shuffled batches. Their losses are summed, so each head gets exactly the
/// gradient it would get alone and AdamW keeps per-parameter state: the heads do not interact.
/// </summary>
public static class LinearProbe
{
    public static LinearProbeReport Run(
        IReadOnlyList<ProbeFeatures> features, Tensor trainLabels, Tensor testLabels, int numClasses,
        LinearProbeOptions options)
    {
        Validate(features, trainLabels, testLabels, numClasses, options);
        var device = options.Device ?? torch.CPU;
        using var generator = new torch.Generator(options.Seed);
        var heads = features.Select(f => NewHead(f.Train.shape[1], numClasses, device, generator)).ToArray();
        try
        {
            Train(heads, features, trainLabels, options, device, generator);
            var results = new List<ProbeResult>();
            for (int i = 0; i < heads.Length; i++)
            {
                var (top1, top5) = Accuracy(heads[i], features[i].Test, testLabels, options.BatchSize, device);
                results.Add(new ProbeResult(features[i].Layer, features[i].Feature, ProbeMetrics.Top1, top1));
                results.Add(new ProbeResult(features[i].Layer, features[i].Feature, ProbeMetrics.Top5, top5));
            }
            return new LinearProbeReport(results, options.Epochs);
        }
        finally
        {
            foreach (var head in heads)
            {
                head.Dispose();
            }
        }
    }

    internal static Linear NewHead(long inputDim, int numClasses, Device device, torch.Generator generator)
    {
        var head = nn.Linear(inputDim, numClasses);
        using (torch.no_grad())
        {
            WeightInit.TruncatedNormal(head.weight!, LinearProbeOptions.HeadInitStd, generator);
            head.bias!.zero_();
        }
        return head.to(device);
    }

    private static void Train(
        Linear[] heads, IReadOnlyList<ProbeFeatures> features, Tensor trainLabels, LinearProbeOptions options,
        Device device, torch.Generator generator)
    {
        long count = trainLabels.shape[0];
        long stepsPerEpoch = (count + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = options.Epochs * stepsPerEpoch;
        var schedule = Schedule(options.LearningRate, totalSteps);
        using var optimizer = torch.optim.AdamW(
            heads.SelectMany(h => h.parameters()), options.LearningRate, weight_decay: options.WeightDecay);
        long step = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            using var order = torch.randperm(count, generator: generator);
            for (long start = 0; start < count; start += options.BatchSize, step++)
            {
                options.Cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = schedule.At((int)step);
                }
                var indices = order.narrow(0, start, Math.Min(options.BatchSize, count - start));
                var labels = trainLabels.index_select(0, indices).to(ScalarType.Int64).to(device);
                var loss = heads
                    .Select((head, i) => nn.functional.cross_entropy(
                        head.forward(features[i].Train.index_select(0, indices).to(device)), labels))
                    .Aggregate((sum, term) => sum + term);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }
    }

    /// <summary>Cosine from the base rate at step 0 towards 0 at the end, per step, without warmup (spec (f)).</summary>
    internal static WarmupCosineSchedule Schedule(double baseRate, long totalSteps) =>
        new(baseRate, MinLearningRate: 0, WarmupSteps: 0, (int)totalSteps, WarmupStartFactor: 1);

    private static (double Top1, double Top5) Accuracy(
        Linear head, Tensor features, Tensor labels, int batchSize, Device device)
    {
        using var noGrad = torch.no_grad();
        long count = labels.shape[0];
        long top1 = 0;
        long top5 = 0;
        for (long start = 0; start < count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            long length = Math.Min(batchSize, count - start);
            var (hits1, hits5) = Hits(head.forward(features.narrow(0, start, length).to(device)), labels.narrow(0, start, length).to(device));
            top1 += hits1;
            top5 += hits5;
        }
        return ((double)top1 / count, (double)top5 / count);
    }

    /// <summary>How many of the rows' true classes are the top-ranked logit, and how many are among the top five.</summary>
    internal static (long Top1, long Top5) Hits(Tensor logits, Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        var truth = labels.to(ScalarType.Int64).unsqueeze(1);
        var ranked = logits.topk((int)Math.Min(5, logits.shape[1])).indexes;
        var hits = ranked.eq(truth);
        return (hits[.., 0].sum().item<long>(), hits.any(1).sum().item<long>());
    }

    private static void Validate(
        IReadOnlyList<ProbeFeatures> features, Tensor trainLabels, Tensor testLabels, int numClasses,
        LinearProbeOptions options)
    {
        using var scope = torch.NewDisposeScope();
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        if (features.Count == 0)
        {
            throw new ArgumentException("no features to probe", nameof(features));
        }
        foreach (var (labels, name) in new[] { (trainLabels, nameof(trainLabels)), (testLabels, nameof(testLabels)) })
        {
            if (labels.numel() == 0 || labels.min().item<long>() < 0 || labels.max().item<long>() >= numClasses)
            {
                throw new ArgumentException($"{name} must be non-empty and lie in [0, {numClasses})", name);
            }
        }
        foreach (var f in features)
        {
            if (f.Train.dim() != 2 || f.Test.dim() != 2 || f.Train.shape[1] != f.Test.shape[1]
                || f.Train.shape[0] != trainLabels.shape[0] || f.Test.shape[0] != testLabels.shape[0])
            {
                throw new ArgumentException(
                    $"layer {f.Layer} {f.Feature}: expected (N, D) train and (M, D) test features matching the labels, " +
                    $"got [{string.Join(", ", f.Train.shape)}] and [{string.Join(", ", f.Test.shape)}]",
                    nameof(features));
            }
        }
    }
}
