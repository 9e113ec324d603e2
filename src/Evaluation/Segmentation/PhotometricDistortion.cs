using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// The random choices of one <see cref="PhotometricDistortion"/>: null for a step that is skipped. The hue shift is
/// in OpenCV's 8-bit hue units (180 per turn).
/// </summary>
public sealed record PhotometricDraw(
    double? BrightnessDelta, bool ContrastFirst, double? ContrastFactor, double? SaturationFactor, int? HueShift);

/// <summary>
/// mmseg's PhotoMetricDistortion on [0, 1] images (C, H, W): brightness, contrast either now or last, saturation,
/// hue, each with probability ½, clipping to [0, 1] after brightness, contrast and saturation. Single-channel images
/// get only brightness and contrast. mmseg works on 8-bit BGR and rounds after each step; this works on floats.
/// </summary>
public static class PhotometricDistortion
{
    /// <summary>Draws in mmseg's order: brightness, mode, [contrast], saturation, hue, [contrast].</summary>
    public static PhotometricDraw Draw(UperNetRecipe recipe, long channels, Random random)
    {
        bool colour = channels == 3;
        double? Uniform(double lower, double upper) => random.Next(2) == 1 ? lower + random.NextDouble() * (upper - lower) : null;

        var brightness = Uniform(-recipe.BrightnessDelta, recipe.BrightnessDelta);
        bool contrastFirst = random.Next(2) == 1;
        var contrast = contrastFirst ? Uniform(recipe.ContrastLower, recipe.ContrastUpper) : null;
        var saturation = colour ? Uniform(recipe.SaturationLower, recipe.SaturationUpper) : null;
        // numpy's randint(-d, d) excludes d.
        int? hue = colour && random.Next(2) == 1 ? random.Next(-recipe.HueDelta, recipe.HueDelta) : null;
        if (!contrastFirst)
        {
            contrast = Uniform(recipe.ContrastLower, recipe.ContrastUpper);
        }
        return new PhotometricDraw(brightness, contrastFirst, contrast, saturation, hue);
    }

    public static Tensor Apply(Tensor image, PhotometricDraw draw)
    {
        using var scope = torch.NewDisposeScope();
        var result = image.alias();
        if (draw.BrightnessDelta is { } delta)
        {
            result = result.add(delta).clamp(0, 1);
        }
        if (draw.ContrastFirst && draw.ContrastFactor is { } firstFactor)
        {
            result = result.mul(firstFactor).clamp(0, 1);
        }
        if (draw.SaturationFactor is { } saturation)
        {
            result = ScaleSaturation(result, saturation);
        }
        if (draw.HueShift is { } shift)
        {
            result = ShiftHue(result, shift / 180.0);
        }
        if (!draw.ContrastFirst && draw.ContrastFactor is { } lastFactor)
        {
            result = result.mul(lastFactor).clamp(0, 1);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Saturation times <paramref name="factor"/>, clipped to [0, 1]; an RGB image (3, H, W).</summary>
    public static Tensor ScaleSaturation(Tensor rgb, double factor)
    {
        using var scope = torch.NewDisposeScope();
        var hsv = ToHsv(rgb);
        var scaled = torch.stack([hsv[0], hsv[1].mul(factor).clamp(0, 1), hsv[2]]);
        return FromHsv(scaled).MoveToOuterDisposeScope();
    }

    /// <summary>Hue rotated by <paramref name="turns"/> of the colour circle; an RGB image (3, H, W).</summary>
    public static Tensor ShiftHue(Tensor rgb, double turns)
    {
        using var scope = torch.NewDisposeScope();
        var hsv = ToHsv(rgb);
        var shifted = torch.stack([hsv[0].add(turns).remainder(1.0), hsv[1], hsv[2]]);
        return FromHsv(shifted).MoveToOuterDisposeScope();
    }

    /// <summary>RGB (3, H, W) in [0, 1] → HSV (3, H, W), each in [0, 1]; hue 0 and saturation 0 for greys.</summary>
    public static Tensor ToHsv(Tensor rgb)
    {
        RequireRgb(rgb);
        using var scope = torch.NewDisposeScope();
        var (red, green, blue) = (rgb[0], rgb[1], rgb[2]);
        var value = rgb.amax(0);
        var chroma = value - rgb.amin(0);
        var chromatic = chroma.gt(0);
        var divisor = chroma.where(chromatic, 1.0);
        var sector = torch.where(
            value.eq(red), (green - blue).div(divisor).remainder(6.0),
            torch.where(value.eq(green), (blue - red).div(divisor).add(2), (red - green).div(divisor).add(4)));
        var hue = sector.div(6).where(chromatic, 0.0);
        var saturation = chroma.div(value.where(value.gt(0), 1.0));
        return torch.stack([hue, saturation, value]).MoveToOuterDisposeScope();
    }

    /// <summary>HSV (3, H, W) → RGB: channel n of (R, G, B) = v − v·s·clamp(min(k, 4 − k), 0, 1), k = (n′ + 6h) mod 6, n′ = 5, 3, 1.</summary>
    public static Tensor FromHsv(Tensor hsv)
    {
        RequireRgb(hsv);
        using var scope = torch.NewDisposeScope();
        var (hue, saturation, value) = (hsv[0], hsv[1], hsv[2]);
        Tensor Channel(double offset)
        {
            var k = hue.mul(6).add(offset).remainder(6.0);
            var ramp = torch.minimum(k, k.neg().add(4)).clamp(0, 1);
            return value - value * saturation * ramp;
        }
        return torch.stack([Channel(5), Channel(3), Channel(1)]).MoveToOuterDisposeScope();
    }

    private static void RequireRgb(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
        {
            throw new ArgumentException($"expected a 3-channel image (3, H, W), got [{string.Join(", ", image.shape)}]", nameof(image));
        }
    }
}
