using System.Runtime.ExceptionServices;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Evaluation;
using SemanticMIM.Planning;

namespace SemanticMIM.Pipeline.Loading;

/// <summary>How an evaluation sees a stored image (and its label map) at the data set's size S.</summary>
public enum EvaluationView
{
    /// <summary>The central square at S² (<see cref="ModelInput.CenterView"/>), with the class label.</summary>
    CenterSquare,

    /// <summary>The whole image resized to S² with its label map (the VOC probe's evaluation resize).</summary>
    Squashed,

    /// <summary>The central 4:3 window at height S with its label map (ADE20K's usual shape, for sliding windows).</summary>
    Landscape,
}

/// <summary>
/// A sharded split read batch by batch as [0, 1] images and labels: only the shards of the current group are in
/// memory, and a batch's samples are decoded in parallel. Shuffled orders are <see cref="SampleOrder"/>'s (shards
/// shuffled, then the samples of each pair of shards), so memory stays bounded at any data-set size.
/// </summary>
public sealed class ShardImages(string folder, DatasetPlan dataset, EvaluationView view) : IEvaluationImages
{
    private const int ShardsPerGroup = 2;

    private readonly ShardReader _reader = new(folder);

    public long Count => _reader.Manifest.TotalSamples;

    public int ClassCount => _reader.Manifest.ClassCount;

    public IEnumerable<LabelledBatch> Batches(int batchSize, ulong? shuffleSeed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var pending = new List<ShardSample>(batchSize);
        foreach (var sample in Samples(shuffleSeed))
        {
            pending.Add(sample);
            if (pending.Count == batchSize)
            {
                using var batch = Decode(pending);
                yield return batch.Batch;
                pending.Clear();
            }
        }
        if (pending.Count > 0)
        {
            using var batch = Decode(pending);
            yield return batch.Batch;
        }
    }

    private IEnumerable<ShardSample> Samples(ulong? shuffleSeed)
    {
        var shards = _reader.Manifest.Shards;
        if (shuffleSeed is not { } seed)
        {
            foreach (var sample in _reader.ReadAll())
            {
                yield return sample;
            }
            yield break;
        }
        var order = new SampleOrder(shards.Select(s => s.Samples).ToArray(), unchecked((long)seed), ShardsPerGroup);
        var loaded = new Dictionary<int, ShardSample[]>();
        for (long position = 0; position < order.Count; position++)
        {
            var (shard, index, _) = order.At(position);
            if (!loaded.TryGetValue(shard, out var samples))
            {
                if (loaded.Count == ShardsPerGroup)
                {
                    loaded.Clear();
                }
                loaded[shard] = samples = _reader.ReadShard(shards[shard]).ToArray();
            }
            yield return samples[index];
        }
    }

    private OwnedBatch Decode(List<ShardSample> samples)
    {
        var images = new ImageBuffer[samples.Count];
        var classes = new int[samples.Count];
        var maps = new LabelMap[samples.Count];
        var mode = dataset.Channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb;
        int size = dataset.ImageSize;
        try
        {
            Parallel.For(0, samples.Count, i => DecodeSample(i));
        }
        catch (AggregateException error)
        {
            // The first sample's own error (e.g. a missing label) is clearer than the wrapper.
            ExceptionDispatchInfo.Throw(error.InnerExceptions[0]);
        }
        var pixels = ModelInput.UnitRange(images);
        var labelTensor = view == EvaluationView.CenterSquare ? BatchTensors.ClassIndices(classes) : BatchTensors.LabelMaps(maps);
        return new OwnedBatch(new LabelledBatch(pixels, labelTensor));

        void DecodeSample(int i)
        {
            var decoded = samples[i].Decode(mode);
            if (view == EvaluationView.CenterSquare)
            {
                images[i] = ModelInput.CenterView(decoded.Image, size);
                classes[i] = decoded.ClassIndex ?? throw new InvalidDataException($"sample {samples[i].Key} has no class label");
                return;
            }
            var labels = decoded.Segmentation ?? throw new InvalidDataException($"sample {samples[i].Key} has no label map");
            (images[i], maps[i]) = view == EvaluationView.Squashed
                ? (ModelInput.SquashedView(decoded.Image, size), ModelInput.SquashedLabels(labels, size))
                : (ModelInput.LandscapeView(decoded.Image, size), ModelInput.LandscapeLabels(labels, size));
        }
    }

    /// <summary>A batch this source disposes once the consumer moves on.</summary>
    private sealed record OwnedBatch(LabelledBatch Batch) : IDisposable
    {
        public void Dispose()
        {
            Batch.Images.Dispose();
            Batch.Labels.Dispose();
        }
    }
}
