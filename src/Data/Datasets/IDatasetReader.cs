namespace SemanticMIM.Data.Datasets;

/// <summary>Reads one split of one data set. The split is fixed when the reader is created.</summary>
public interface IDatasetReader
{
    string DatasetName { get; }

    string Split { get; }

    int ClassCount { get; }

    /// <summary>Sources left out by the latest enumeration of <see cref="Read"/>; complete once it has finished.</summary>
    IReadOnlyList<SkippedSource> Skipped { get; }

    IEnumerable<DatasetSample> Read();
}
