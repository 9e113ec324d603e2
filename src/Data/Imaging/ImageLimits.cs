namespace SemanticMIM.Data.Imaging;

/// <summary>
/// The largest image a reader decodes: in pixels, checked against the dimensions in the header before any pixel is
/// decoded, and in file bytes, checked before the file is read. Larger images are skipped as oversized.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>50 megapixels (a 200 MB decode buffer) and 256 MiB per file: above any photograph of the supported data sets.</summary>
    public static ImageLimits Default { get; } = new();

    public long MaxPixels { get; init; } = 50_000_000;

    public long MaxBytes { get; init; } = 256L << 20;
}
