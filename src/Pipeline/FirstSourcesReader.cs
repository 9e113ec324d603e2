using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Pipeline;

/// <summary>The first <c>limit</c> sources of another reader: the spec's cap for quick runs.</summary>
public sealed class FirstSourcesReader(IDatasetReader inner, int limit) : IDatasetReader
{
    public string DatasetName => inner.DatasetName;

    public string Split => inner.Split;

    public int ClassCount => inner.ClassCount;

    public IReadOnlyList<SkippedSource> Skipped => inner.Skipped;

    public int SourceCount => Math.Min(inner.SourceCount, limit);

    public IEnumerable<DatasetSample> Read(int start, int count) =>
        inner.Read(start, (int)Math.Max(0, Math.Min((long)count, (long)SourceCount - start)));
}
