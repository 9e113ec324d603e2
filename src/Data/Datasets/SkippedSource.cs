namespace SemanticMIM.Data.Datasets;

/// <summary>A source file left out of a data set, with why (for example a corrupt JPEG).</summary>
public sealed record SkippedSource(string Source, string Reason);
