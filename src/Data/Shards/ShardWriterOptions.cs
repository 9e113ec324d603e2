using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Shards;

/// <summary>How samples are encoded and when a shard is full (whichever limit comes first; a shard holds at least one sample).</summary>
public sealed record ShardWriterOptions
{
    public ShardImageFormat ImageFormat { get; init; } = ShardImageFormat.Jpeg;

    public int JpegQuality { get; init; } = 90;

    /// <summary>Images whose shorter side exceeds this are scaled down (aspect kept; label maps follow, nearest neighbour). Null keeps the size.</summary>
    public int? MaxShorterSide { get; init; }

    public int MaxSamplesPerShard { get; init; } = 10_000;

    public long MaxBytesPerShard { get; init; } = 256L * 1024 * 1024;

    /// <summary>The colours written into <c>.seg.png</c> files; only the indices matter to readers.</summary>
    public ColorPalette SegmentationPalette { get; init; } = ColorPalette.PascalVoc();
}
