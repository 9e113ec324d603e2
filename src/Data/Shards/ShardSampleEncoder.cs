using System.Globalization;
using System.Text;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Shards;

/// <summary>Turns a sample into its WebDataset entries: &lt;key&gt;.png|jpg, &lt;key&gt;.cls, &lt;key&gt;.seg.png.</summary>
public static class ShardSampleEncoder
{
    public static IReadOnlyList<TarEntry> Encode(DatasetSample sample, ShardWriterOptions options)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(options);
        ValidateKey(sample.Key);

        var image = options.MaxShorterSide is { } side ? ImageResizer.LimitShorterSide(sample.Image, side) : sample.Image;
        var entries = new List<TarEntry>(3)
        {
            options.ImageFormat == ShardImageFormat.Png
                ? new TarEntry(sample.Key + ".png", ImageCodec.EncodePng(image))
                : new TarEntry(sample.Key + ".jpg", ImageCodec.EncodeJpeg(image, options.JpegQuality)),
        };
        if (sample.ClassIndex is { } classIndex)
            entries.Add(new TarEntry(sample.Key + ".cls", Encoding.ASCII.GetBytes(classIndex.ToString(CultureInfo.InvariantCulture))));
        if (sample.Segmentation is { } labels)
        {
            if (labels.Width != sample.Image.Width || labels.Height != sample.Image.Height)
                throw new ArgumentException($"Sample {sample.Key}: label map {labels.Width}x{labels.Height} does not match image {sample.Image.Width}x{sample.Image.Height}.", nameof(sample));
            var resized = labels.Width == image.Width && labels.Height == image.Height ? labels : labels.ResizeNearest(image.Width, image.Height);
            entries.Add(new TarEntry(sample.Key + ".seg.png", IndexedPngEncoder.EncodePalette(resized, options.SegmentationPalette)));
        }
        return entries;
    }

    /// <summary>WebDataset splits an entry name at the first '.' of its file name, so a key must not contain one.</summary>
    public static void ValidateKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Contains('.') || key.Contains('\\') || key.StartsWith('/') || key.Any(char.IsControl))
            throw new ArgumentException($"'{key}' is not a valid shard key (non-empty, no '.', '\\', leading '/' or control characters).", nameof(key));
    }
}
