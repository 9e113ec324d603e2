using static TorchSharp.torch;

namespace SemanticMIM.Training;

/// <summary>
/// Samples from tensors held in memory, epoch after epoch. With shuffling, epoch e visits the samples in the
/// order randperm(n) drawn from a generator seeded with seed + e, so any position can be reached directly.
/// </summary>
public sealed class InMemoryBatchSource : IBatchSource
{
    private readonly Tensor _images;
    private readonly Tensor _targets;
    private readonly long _seed;
    private readonly bool _shuffle;
    private long _orderEpoch = -1;
    private long[] _order = [];

    /// <param name="images">(n, C, H, W); kept by reference, not copied.</param>
    /// <param name="targets">(n, N) or (n, N, F), aligned with <paramref name="images"/>.</param>
    public InMemoryBatchSource(Tensor images, Tensor targets, long seed, bool shuffle = true)
    {
        if (images.shape[0] != targets.shape[0] || images.shape[0] == 0)
        {
            throw new ArgumentException($"images ({images.shape[0]}) and targets ({targets.shape[0]}) must hold the same, positive number of samples");
        }
        _images = images;
        _targets = targets;
        _seed = seed;
        _shuffle = shuffle;
    }

    public long Count => _images.shape[0];

    public long Position { get; private set; }

    public TrainingBatch Next(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var indices = new long[batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            indices[i] = SampleAt(Position + i);
        }
        Position += batchSize;
        using var selection = tensor(indices);
        return new TrainingBatch(_images.index_select(0, selection), _targets.index_select(0, selection));
    }

    public void Seek(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        Position = position;
    }

    private long SampleAt(long position)
    {
        long epoch = position / Count;
        long offset = position % Count;
        if (!_shuffle)
        {
            return offset;
        }
        if (epoch != _orderEpoch)
        {
            using var generator = new Generator(unchecked((ulong)(_seed + epoch)));
            using var order = randperm(Count, generator: generator);
            _order = order.data<long>().ToArray();
            _orderEpoch = epoch;
        }
        return _order[offset];
    }
}
