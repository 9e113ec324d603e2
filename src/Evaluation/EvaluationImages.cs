using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// A batch of images (B, C, H, W) and their labels: class indices (B) or label maps (B, H', W') of any integer type.
/// A batch handed out by <see cref="IEvaluationImages"/> is disposed when the next one is asked for: copy what you keep.
/// </summary>
public sealed record LabelledBatch(Tensor Images, Tensor Labels);

/// <summary>
/// A labelled split read batch by batch, so an evaluation holds one batch at a time however large the split (the
/// pipeline streams it from shards; tests and small sets wrap tensors in <see cref="TensorImages"/>).
/// </summary>
public interface IEvaluationImages
{
    /// <summary>Samples in the split.</summary>
    long Count { get; }

    /// <summary>
    /// Every sample once, in batches of at most <paramref name="batchSize"/>: in stored order when
    /// <paramref name="shuffleSeed"/> is null, else in an order that depends on the seed alone.
    /// </summary>
    IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed = null);
}

/// <summary>A split held in memory: borrows its tensors (the caller disposes them).</summary>
public sealed class TensorImages(Tensor images, Tensor labels) : IEvaluationImages
{
    public long Count => images.shape[0];

    public Tensor Images => images;

    public Tensor Labels => labels;

    public IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var generator = shuffleSeed is { } seed ? new torch.Generator(seed) : null;
        using var order = generator is null ? null : torch.randperm(Count, generator: generator);
        for (long start = 0; start < Count; start += batchSize)
        {
            long length = Math.Min(batchSize, Count - start);
            using var indices = order?.narrow(0, start, length);
            using var batchImages = indices is null ? images.narrow(0, start, length) : images.index_select(0, indices.to(images.device));
            using var batchLabels = indices is null ? labels.narrow(0, start, length) : labels.index_select(0, indices.to(labels.device));
            yield return new LabelledBatch(batchImages, batchLabels);
        }
    }
}

/// <summary>Another split's batches normalised per channel (<see cref="ImageNormalization"/>), for protocols that do not augment.</summary>
public sealed class NormalizedImages(IEvaluationImages source, IReadOnlyList<float> mean, IReadOnlyList<float> std) : IEvaluationImages
{
    public long Count => source.Count;

    public IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed = null)
    {
        foreach (var batch in source.Batches(batchSize, shuffleSeed))
        {
            using var normalized = ImageNormalization.Normalize(batch.Images, mean, std);
            yield return batch with { Images = normalized };
        }
    }
}

/// <summary>The shuffle seed of each epoch, derived from a run's seed, so every epoch has its own order.</summary>
public static class EpochSeeds
{
    public static ulong For(ulong seed, int epoch) => unchecked(seed * 1_000_003UL + (ulong)epoch + 1);
}
