namespace SemanticMIM.Data.Shards;

public enum ShardImageFormat
{
    /// <summary>Lossless; suits small or synthetic images.</summary>
    Png,

    /// <summary>Lossy at <see cref="ShardWriterOptions.JpegQuality"/>; suits photographs.</summary>
    Jpeg,
}
