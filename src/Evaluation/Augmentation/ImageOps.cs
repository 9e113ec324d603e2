using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>Pixel operations shared by the augmentations, on float images in [0, 1].</summary>
internal static class ImageOps
{
    /// <summary>ITU-R 601-2 luma, PIL's RGB → L conversion.</summary>
    private static readonly float[] LumaWeights = [0.299f, 0.587f, 0.114f];

    /// <summary>
    /// Bicubic resize of (B, C, H, W) to (B, C, height, width), clamped to [0, 1]. Antialiased, so it uses the
    /// a = −0.5 kernel with a widened support when shrinking, as Pillow's bicubic resize does.
    /// </summary>
    public static Tensor Resize(Tensor images, int height, int width)
    {
        using var resized = nn.functional.interpolate(
            images, [height, width], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true);
        return resized.clamp(0, 1);
    }

    /// <summary>
    /// (C, H, W) → (1, H, W) grey level: the luma for three channels, the channel mean otherwise (the image
    /// itself for one channel).
    /// </summary>
    public static Tensor Grayscale(Tensor image)
    {
        if (image.shape[0] != LumaWeights.Length)
        {
            return image.mean([0], keepdim: true);
        }
        using var weights = tensor(LumaWeights, image.dtype, image.device).view(3, 1, 1);
        using var weighted = image * weights;
        return weighted.sum(0, keepdim: true);
    }

    /// <summary>PIL's ImageEnhance blend: degenerate + factor·(image − degenerate), clamped to [0, 1].</summary>
    public static Tensor Blend(Tensor image, Tensor degenerate, double factor)
    {
        using var difference = image - degenerate;
        using var blended = degenerate + factor * difference;
        return blended.clamp(0, 1);
    }

    /// <summary>Brightness: blend with black.</summary>
    public static Tensor Brightness(Tensor image, double factor) => (image * factor).clamp_(0, 1);

    /// <summary>Contrast: blend with the mean grey level of the whole image.</summary>
    public static Tensor Contrast(Tensor image, double factor)
    {
        using var gray = Grayscale(image);
        using var mean = gray.mean();
        return Blend(image, mean, factor);
    }

    /// <summary>Saturation (PIL's Color): blend with the grey version of the image.</summary>
    public static Tensor Saturation(Tensor image, double factor)
    {
        using var gray = Grayscale(image);
        return Blend(image, gray, factor);
    }

    /// <summary>
    /// Affine resampling of a (C, H, W) image as PIL's <c>Image.transform(AFFINE)</c> does: output pixel centre
    /// (x + ½, y + ½) reads the input at (a·x' + b·y' + c, d·x' + e·y' + f) in pixel units; bilinear inside the
    /// image, <paramref name="fill"/> (one value per channel) where that point lies outside. Bilinear because
    /// TorchSharp's grid_sample has no bicubic mode; it is one of the two filters timm picks from at random.
    /// </summary>
    public static Tensor Warp(Tensor image, double[] affine, Tensor fill)
    {
        using var scope = NewDisposeScope();
        long height = image.shape[1];
        long width = image.shape[2];
        var xs = arange(width, ScalarType.Float64).add_(0.5).view(1, width).expand(height, width);
        var ys = arange(height, ScalarType.Float64).add_(0.5).view(height, 1).expand(height, width);
        var sourceX = affine[0] * xs + affine[1] * ys + affine[2];
        var sourceY = affine[3] * xs + affine[4] * ys + affine[5];
        var inside = sourceX.ge(0).logical_and_(sourceX.lt(width)).logical_and_(sourceY.ge(0)).logical_and_(sourceY.lt(height));
        // align_corners = false: normalised −1 and 1 are the outer edges of the border pixels.
        var grid = stack([sourceX * (2.0 / width) - 1, sourceY * (2.0 / height) - 1], -1)
            .unsqueeze(0).to(image.dtype).to(image.device);
        var sampled = nn.functional.grid_sample(
            image.unsqueeze(0), grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false)
            .squeeze(0);
        return where(inside.to(image.device), sampled, fill.view(-1, 1, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>One fill value per channel as a (C) tensor: <paramref name="values"/> of length C, or one value for all.</summary>
    public static Tensor FillColour(IReadOnlyList<float> values, long channels, Tensor like)
    {
        if (values.Count != 1 && values.Count != channels)
        {
            throw new ArgumentException($"expected 1 or {channels} fill values, got {values.Count}", nameof(values));
        }
        using var fill = tensor(values.ToArray(), like.dtype, like.device);
        return fill.expand(channels).clone();
    }
}
