namespace SemanticMIM.Platform.Jobs;

/// <summary>
/// Part <see cref="Index"/> (from 0) of <see cref="Count"/> contiguous parts of a list: a tokens job's share of an
/// experiment's training shards. Parts differ in length by at most one; together they cover the list once.
/// </summary>
public sealed record ShardPart(int Index, int Count)
{
    public bool IsValid => Count >= 1 && Index >= 0 && Index < Count;

    /// <summary>This part's items of a list of <paramref name="items"/> items (empty when there are fewer items than parts).</summary>
    public Range Of(int items)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        if (!IsValid)
        {
            throw new InvalidOperationException($"part {Index} of {Count} is not a part");
        }
        return new Range((int)((long)items * Index / Count), (int)((long)items * (Index + 1) / Count));
    }
}
