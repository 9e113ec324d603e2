namespace SemanticMIM.Data.Datasets;

/// <summary>
/// Reads one split of one data set. The split is fixed when the reader is created. A split is a numbered list
/// of sources (files, records); <see cref="Read(int, int)"/> reads any range of it, so a split can be sharded
/// in independent units.
/// </summary>
public interface IDatasetReader
{
    string DatasetName { get; }

    string Split { get; }

    int ClassCount { get; }

    /// <summary>How many sources the split lists, unreadable ones included.</summary>
    int SourceCount { get; }

    /// <summary>Sources left out by the latest enumeration; complete once it has finished.</summary>
    IReadOnlyList<SkippedSource> Skipped { get; }

    /// <summary>The samples of sources [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) in order; unreadable sources are skipped and recorded.</summary>
    IEnumerable<DatasetSample> Read(int start, int count);

    /// <summary>Every sample of the split.</summary>
    IEnumerable<DatasetSample> Read() => Read(0, SourceCount);
}

/// <summary>Range checks shared by the readers.</summary>
internal static class SourceRange
{
    public static (int Start, int End) Clamp(int start, int count, int sourceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int first = Math.Min(start, sourceCount);
        return (first, (int)Math.Min((long)first + count, sourceCount));
    }
}
