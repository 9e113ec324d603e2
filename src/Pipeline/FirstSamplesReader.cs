using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Pipeline;

/// <summary>The first <c>count</c> samples of another reader: the spec's cap for quick runs.</summary>
public sealed class FirstSamplesReader(IDatasetReader inner, int count) : IDatasetReader
{
    public string DatasetName => inner.DatasetName;

    public string Split => inner.Split;

    public int ClassCount => inner.ClassCount;

    public IReadOnlyList<SkippedSource> Skipped => inner.Skipped;

    public IEnumerable<DatasetSample> Read() => inner.Read().Take(count);
}
