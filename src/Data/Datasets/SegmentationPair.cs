using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Datasets;

/// <summary>Reads an image and its index-PNG label map, recording in the skip log why a pair cannot be used.</summary>
internal static class SegmentationPair
{
    /// <summary>
    /// The decoded pair with <paramref name="mapLabels"/> applied to the raw indices, or null when either file is
    /// missing or corrupt or the labels do not fit the image (size, or a value that is neither a class nor ignore).
    /// </summary>
    public static (ImageBuffer Image, LabelMap Labels)? TryRead(
        SkipLog skipped, string imagePath, string labelPath, int classCount, Func<LabelMap, LabelMap> mapLabels)
    {
        var image = skipped.TryDecode(imagePath, bytes => ImageCodec.Decode(bytes, limits: skipped.Limits));
        if (image is null)
            return null;
        var indices = skipped.TryDecode(labelPath, bytes => IndexedPngDecoder.Decode(bytes, skipped.Limits).Indices);
        if (indices is null)
            return null;
        var labels = mapLabels(indices);
        if (Problem(image, labels, classCount) is { } problem)
        {
            skipped.Add(labelPath, problem, SkipKinds.BadLabels);
            return null;
        }
        return (image, labels);
    }

    private static string? Problem(ImageBuffer image, LabelMap labels, int classCount)
    {
        if (labels.Width != image.Width || labels.Height != image.Height)
            return $"label map is {labels.Width}x{labels.Height} but the image is {image.Width}x{image.Height}";
        var invalid = labels.Labels.FirstOrDefault(value => value >= classCount && value != LabelMap.Ignore, (byte)0);
        return invalid != 0 ? $"label value {invalid} is neither a class (0..{classCount - 1}) nor {LabelMap.Ignore}" : null;
    }
}
