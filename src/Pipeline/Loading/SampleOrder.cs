using SemanticMIM.Data.Views;

namespace SemanticMIM.Pipeline.Loading;

/// <summary>
/// The order in which a sharded training set is visited, as a pure function of the position: in epoch e the
/// shards are shuffled, taken in groups of <c>shardsPerGroup</c>, and the samples of each group shuffled
/// (WebDataset-style: only a group is in memory, yet any position is reachable directly for an exact resume).
/// Epoch e uses recorded view e mod V.
/// </summary>
public sealed class SampleOrder
{
    private readonly int[] _shardSizes;
    private readonly long _seed;
    private readonly int _shardsPerGroup;
    private (long Epoch, int Group, int[] Order)? _cached;

    public SampleOrder(IReadOnlyList<int> shardSizes, long seed, int shardsPerGroup)
    {
        if (shardSizes.Count == 0 || shardSizes.Any(s => s <= 0))
        {
            throw new ArgumentException("a training set needs at least one shard, each with samples", nameof(shardSizes));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardsPerGroup);
        _shardSizes = [.. shardSizes];
        _seed = seed;
        _shardsPerGroup = shardsPerGroup;
        Count = _shardSizes.Sum(s => (long)s);
    }

    /// <summary>Samples per epoch.</summary>
    public long Count { get; }

    /// <summary>The shard, the sample within it and the epoch of the sample drawn at <paramref name="position"/>.</summary>
    public (int Shard, int Index, long Epoch) At(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        long epoch = position / Count;
        long offset = position % Count;
        int[] shards = ShardOrder(epoch);
        for (int group = 0, start = 0; start < shards.Length; group++, start += _shardsPerGroup)
        {
            var members = shards.AsSpan(start, Math.Min(_shardsPerGroup, shards.Length - start));
            long size = 0;
            foreach (int shard in members)
            {
                size += _shardSizes[shard];
            }
            if (offset >= size)
            {
                offset -= size;
                continue;
            }
            int local = GroupOrder(epoch, group, (int)size)[offset];
            foreach (int shard in members)
            {
                if (local < _shardSizes[shard])
                {
                    return (shard, local, epoch);
                }
                local -= _shardSizes[shard];
            }
        }
        throw new InvalidOperationException("unreachable: offset beyond the epoch");
    }

    /// <summary>The shards of the group that holds <paramref name="position"/>, the ones worth keeping in memory.</summary>
    public IReadOnlyList<int> GroupOf(long position)
    {
        long epoch = position / Count;
        long offset = position % Count;
        int[] shards = ShardOrder(epoch);
        for (int start = 0; start < shards.Length; start += _shardsPerGroup)
        {
            var members = shards[start..Math.Min(start + _shardsPerGroup, shards.Length)];
            long size = members.Sum(s => (long)_shardSizes[s]);
            if (offset < size)
            {
                return members;
            }
            offset -= size;
        }
        throw new InvalidOperationException("unreachable: offset beyond the epoch");
    }

    private int[] ShardOrder(long epoch) => Permutation(_shardSizes.Length, new SplitMix64(_seed, epoch, -1));

    private int[] GroupOrder(long epoch, int group, int size)
    {
        if (_cached is { } cached && cached.Epoch == epoch && cached.Group == group)
        {
            return cached.Order;
        }
        var order = Permutation(size, new SplitMix64(_seed, epoch, group));
        _cached = (epoch, group, order);
        return order;
    }

    private static int[] Permutation(int count, SplitMix64 random)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
