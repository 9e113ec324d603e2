using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

internal static class SegmentationChecks
{
    /// <summary>Why a label map does not fit its image (size, or a value that is neither a class nor ignore), or null.</summary>
    public static string? Problem(ImageBuffer image, LabelMap labels, int classCount)
    {
        if (labels.Width != image.Width || labels.Height != image.Height)
            return $"label map is {labels.Width}x{labels.Height} but the image is {image.Width}x{image.Height}";
        var invalid = labels.Labels.FirstOrDefault(value => value >= classCount && value != LabelMap.Ignore, (byte)0);
        return invalid != 0 ? $"label value {invalid} is neither a class (0..{classCount - 1}) nor {LabelMap.Ignore}" : null;
    }
}
