using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// The pieces of mmseg's ADE20K pipelines (spec (f)): keep-ratio and random resizing, the class-balanced random
/// crop, reduce_zero_label, per-channel normalisation and padding to the crop. Images are float (C, H, W) or
/// (B, C, H, W); label maps are int64 (H, W) with <see cref="IgnoreIndex"/> for unlabelled pixels.
/// </summary>
public static class SegmentationAugmentation
{
    public const long IgnoreIndex = SegmentationProbeOptions.IgnoreIndex;

    /// <summary>Crops redrawn at most this many times while one class dominates (mmseg's RandomCrop).</summary>
    public const int CropRedraws = 10;

    /// <summary>
    /// mmcv's keep-ratio rescale: the largest size with the long side ≤ <paramref name="longEdge"/> and the short
    /// side ≤ <paramref name="shortEdge"/>, each side rounded half up.
    /// </summary>
    public static (int Height, int Width) KeepRatioSize(int height, int width, int longEdge, int shortEdge)
    {
        double scale = Math.Min((double)longEdge / Math.Max(height, width), (double)shortEdge / Math.Min(height, width));
        return (Math.Max(1, (int)(height * scale + 0.5)), Math.Max(1, (int)(width * scale + 0.5)));
    }

    /// <summary>mmcv's RandomResize scale: (long, short) = ⌊(LongEdgeFactor·crop, crop) · r⌋, r ~ U(ratio range).</summary>
    public static (int LongEdge, int ShortEdge) RandomScale(UperNetRecipe recipe, Random random)
    {
        double ratio = recipe.ResizeRatioMin + random.NextDouble() * (recipe.ResizeRatioMax - recipe.ResizeRatioMin);
        return ((int)(recipe.LongEdgeFactor * recipe.CropSize * ratio), (int)(recipe.CropSize * ratio));
    }

    /// <summary>Bilinear resize (align_corners false, no antialiasing, as OpenCV's INTER_LINEAR) of (C, H, W) or (B, C, H, W).</summary>
    public static Tensor ResizeImage(Tensor image, int height, int width)
    {
        if (image.shape[^2] == height && image.shape[^1] == width)
        {
            return image.alias();
        }
        bool single = image.dim() == 3;
        using var batch = single ? image.unsqueeze(0) : image.alias();
        using var resized = nn.functional.interpolate(batch, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        return single ? resized.squeeze(0) : resized.alias();
    }

    /// <summary>Nearest-neighbour resize of a label map (H, W), as OpenCV's INTER_NEAREST.</summary>
    public static Tensor ResizeLabels(Tensor labels, int height, int width)
    {
        if (labels.shape[0] == height && labels.shape[1] == width)
        {
            return labels.alias();
        }
        using var scope = torch.NewDisposeScope();
        var asImage = labels.to(ScalarType.Float32).unsqueeze(0).unsqueeze(0);
        return nn.functional.interpolate(asImage, [height, width], mode: InterpolationMode.Nearest)
            .squeeze(0).squeeze(0).to(labels.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Raw ADE ids → training ids: 0 ("other") → 255, k → k − 1, 255 stays 255 (mmseg's reduce_zero_label).</summary>
    public static Tensor ReduceZeroLabel(Tensor labels)
    {
        using var scope = torch.NewDisposeScope();
        var asLong = labels.to(ScalarType.Int64);
        var ignored = asLong.eq(0).logical_or(asLong.eq(IgnoreIndex));
        return asLong.sub(1).masked_fill(ignored, IgnoreIndex).MoveToOuterDisposeScope();
    }

    /// <summary>Label maps as int64, reduced when asked, every label outside [0, K) turned into 255.</summary>
    public static Tensor PrepareLabels(Tensor labels, int numClasses, bool reduceZeroLabel)
    {
        using var scope = torch.NewDisposeScope();
        var asLong = reduceZeroLabel ? ReduceZeroLabel(labels) : labels.to(ScalarType.Int64);
        var outside = asLong.lt(0).logical_or(asLong.ge(numClasses));
        return asLong.masked_fill(outside, IgnoreIndex).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether a label crop passes mmseg's cat_max_ratio test: at least two classes among the non-ignored pixels and
    /// the most frequent one below <paramref name="catMaxRatio"/> of them.
    /// </summary>
    public static bool IsBalanced(Tensor labels, double catMaxRatio)
    {
        using var scope = torch.NewDisposeScope();
        var counted = labels.flatten().masked_select(labels.flatten().ne(IgnoreIndex));
        if (counted.numel() == 0)
        {
            return false;
        }
        var counts = torch.bincount(counted);
        var present = counts.masked_select(counts.gt(0));
        return present.numel() > 1 && present.max().item<long>() < catMaxRatio * present.sum().item<long>();
    }

    /// <summary>
    /// mmseg's RandomCrop position for a label map (H, W): a uniform top-left corner (row first), redrawn up to
    /// <see cref="CropRedraws"/> times while <see cref="IsBalanced"/> fails, the last draw kept after that.
    /// No redraws when <paramref name="catMaxRatio"/> ≥ 1.
    /// </summary>
    public static (int Top, int Left) ChooseCrop(Tensor labels, int crop, double catMaxRatio, Random random)
    {
        int height = (int)labels.shape[0];
        int width = (int)labels.shape[1];
        (int, int) Draw() => (random.Next(Math.Max(height - crop, 0) + 1), random.Next(Math.Max(width - crop, 0) + 1));

        var (top, left) = Draw();
        if (catMaxRatio < 1)
        {
            for (int attempt = 0; attempt < CropRedraws; attempt++)
            {
                using var window = Crop(labels, top, left, crop);
                if (IsBalanced(window, catMaxRatio))
                {
                    break;
                }
                (top, left) = Draw();
            }
        }
        return (top, left);
    }

    /// <summary>The crop at (top, left) of the last two dimensions, shorter where the map is smaller than the crop.</summary>
    public static Tensor Crop(Tensor map, int top, int left, int crop)
    {
        long height = Math.Min(crop, map.shape[^2] - top);
        long width = Math.Min(crop, map.shape[^1] - left);
        return map.narrow(-2, top, height).narrow(-1, left, width);
    }
    /// <summary>Pads an image (C, h, w) with 0 and its labels (h, w) with 255 at the bottom and right up to crop².</summary>
    public static (Tensor Image, Tensor Labels) PadToCrop(Tensor image, Tensor labels, int crop)
    {
        long[] padding = [0, crop - image.shape[^1], 0, crop - image.shape[^2]];
        if (padding.Any(p => p < 0))
        {
            throw new ArgumentException($"a [{string.Join(", ", image.shape)}] image is larger than the crop {crop}", nameof(image));
        }
        return (nn.functional.pad(image, padding, value: 0),
            nn.functional.pad(labels, padding, value: IgnoreIndex));
    }
}
