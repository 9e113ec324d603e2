using System.Globalization;
using System.Text;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Shards;

/// <summary>One sample read from a shard: its key and its entries by extension ("jpg", "png", "cls", "seg.png", …).</summary>
public sealed class ShardSample(string key, IReadOnlyDictionary<string, byte[]> parts)
{
    private static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "webp"];

    public string Key { get; } = key;

    public IReadOnlyDictionary<string, byte[]> Parts { get; } = parts;

    /// <summary>The encoded image (.jpg, .jpeg, .png or .webp).</summary>
    public byte[] ImageBytes =>
        ImageExtensions.Select(ext => Parts.GetValueOrDefault(ext)).FirstOrDefault(bytes => bytes is not null)
        ?? throw new InvalidDataException($"Shard sample {Key} has no image entry.");

    public int? ClassIndex =>
        Parts.TryGetValue("cls", out var text)
            ? int.TryParse(Encoding.ASCII.GetString(text).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? index
                : throw new InvalidDataException($"Shard sample {Key}: .cls holds '{Encoding.ASCII.GetString(text)}', not a class index.")
            : null;

    public byte[]? SegmentationPng => Parts.GetValueOrDefault("seg.png");

    /// <summary>Decodes the image (in its stored channels unless <paramref name="mode"/> says otherwise) and the label map.</summary>
    public DatasetSample Decode(ColorMode? mode = null) =>
        new(Key, ImageCodec.Decode(ImageBytes, mode), ClassIndex,
            SegmentationPng is { } png ? IndexedPngDecoder.Decode(png).Indices : null);
}
