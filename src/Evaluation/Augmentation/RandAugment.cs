using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>The operations of timm's "increasing" RandAugment set, in timm's order.</summary>
public enum RandAugmentOp
{
    AutoContrast,
    Equalize,
    Invert,
    Rotate,
    PosterizeIncreasing,
    SolarizeIncreasing,
    SolarizeAdd,
    ColorIncreasing,
    ContrastIncreasing,
    BrightnessIncreasing,
    SharpnessIncreasing,
    ShearX,
    ShearY,
    TranslateXRel,
    TranslateYRel,
}

/// <summary>
/// timm's <c>rand-m9-n2-mstd0.5-inc1</c> on float images in [0, 1] (B, C, H, W), any C. Per image: draw
/// <see cref="NumOps"/> operations uniformly with replacement; each applies with probability
/// <see cref="OpProbability"/> at magnitude N(<see cref="Magnitude"/>, <see cref="MagnitudeStd"/>²) clipped to
/// [0, 10], signed arguments negated with probability ½. Differences from timm's PIL version: values stay float (no
/// rounding to 8 bits; Posterize and Equalize map the level round(255·x), Equalize exactly as PIL's histogram
/// equalisation, and the Solarize thresholds compare that level); geometric operations always sample bilinearly (timm picks bilinear or
/// bicubic at random, the official config fixes bicubic, TorchSharp's grid_sample has no bicubic); grey level is the luma for three channels and the
/// channel mean otherwise, so Color leaves one-channel images unchanged.
/// </summary>
public sealed class RandAugment
{
    /// <summary>timm's _LEVEL_DENOM: magnitudes lie in [0, 10].</summary>
    public const double MaxMagnitude = 10;

    private const double RotateDegrees = 30;
    private const double EnhanceRange = 0.9;
    private const double ShearRange = 0.3;
    private const double TranslateFraction = 0.45;
    private const double SolarizeAddRange = 110;
    private const int SolarizeAddThreshold = 128;

    private static readonly RandAugmentOp[] Ops = Enum.GetValues<RandAugmentOp>();

    /// <summary>PIL's ImageFilter.SMOOTH weights, before dividing by 13.</summary>
    private static readonly float[] SmoothKernel = [1, 1, 1, 1, 5, 1, 1, 1, 1];

    private readonly float[] _fill;

    /// <param name="fill">The colour of pixels that geometric operations bring in from outside: one value in [0, 1]
    /// per channel or one for all (the official config uses the dataset mean).</param>
    public RandAugment(
        int numOps = 2, double magnitude = 9, double magnitudeStd = 0.5, double opProbability = 0.5,
        IReadOnlyList<float>? fill = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numOps);
        ArgumentOutOfRangeException.ThrowIfNegative(magnitude);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(magnitude, MaxMagnitude);
        ArgumentOutOfRangeException.ThrowIfNegative(magnitudeStd);
        ArgumentOutOfRangeException.ThrowIfNegative(opProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(opProbability, 1);
        NumOps = numOps;
        Magnitude = magnitude;
        MagnitudeStd = magnitudeStd;
        OpProbability = opProbability;
        // timm's default fill, (128, 128, 128) of 255, when no image mean is given.
        _fill = fill?.ToArray() ?? [128f / 255];
    }

    public int NumOps { get; }

    public double Magnitude { get; }

    public double MagnitudeStd { get; }

    public double OpProbability { get; }

    public IReadOnlyList<float> Fill => _fill;

    /// <summary>Augments every image of (B, C, H, W) independently; the result has the same shape, in [0, 1].</summary>
    public Tensor Apply(Tensor images, torch.Generator generator)
    {
        if (images.dim() != 4)
        {
            throw new ArgumentException($"expected (B, C, H, W), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        using var scope = torch.NewDisposeScope();
        var fill = ImageOps.FillColour(_fill, images.shape[1], images);
        var augmented = new Tensor[images.shape[0]];
        for (int i = 0; i < augmented.Length; i++)
        {
            var chosen = Enumerable.Range(0, NumOps).Select(_ => Ops[generator.Integer(0, Ops.Length)]).ToArray();
            var image = images[i];
            foreach (var op in chosen)
            {
                // timm skips when random() > prob.
                if (generator.Uniform() > OpProbability)
                {
                    continue;
                }
                double magnitude = MagnitudeStd > 0 ? generator.Normal(Magnitude, MagnitudeStd) : Magnitude;
                magnitude = Math.Clamp(magnitude, 0, MaxMagnitude);
                bool negate = IsSigned(op) && generator.Uniform() > 0.5;
                image = ApplyOp(image, op, Argument(op, magnitude, negate), fill);
            }
            augmented[i] = image;
        }
        return torch.stack(augmented).MoveToOuterDisposeScope();
    }

    /// <summary>Whether the operation's argument is negated at random (timm's _randomly_negate).</summary>
    public static bool IsSigned(RandAugmentOp op) => op is RandAugmentOp.Rotate or RandAugmentOp.ColorIncreasing
        or RandAugmentOp.ContrastIncreasing or RandAugmentOp.BrightnessIncreasing or RandAugmentOp.SharpnessIncreasing
        or RandAugmentOp.ShearX or RandAugmentOp.ShearY or RandAugmentOp.TranslateXRel or RandAugmentOp.TranslateYRel;

    /// <summary>
    /// timm's level-to-argument functions for a magnitude in [0, 10]: degrees for Rotate, bits kept for Posterize,
    /// threshold (of 255) for Solarize, amount added (of 255) for SolarizeAdd, enhancement factor for
    /// Color/Contrast/Brightness/Sharpness, shear factor, translation as a fraction of the width or height; 0 for
    /// operations without argument.
    /// </summary>
    public static double Argument(RandAugmentOp op, double magnitude, bool negate)
    {
        double level = magnitude / MaxMagnitude;
        double sign = negate ? -1 : 1;
        return op switch
        {
            RandAugmentOp.Rotate => sign * level * RotateDegrees,
            RandAugmentOp.PosterizeIncreasing => 4 - (int)(level * 4),
            RandAugmentOp.SolarizeIncreasing => 256 - (int)(level * 256),
            RandAugmentOp.SolarizeAdd => (int)(level * SolarizeAddRange),
            RandAugmentOp.ColorIncreasing or RandAugmentOp.ContrastIncreasing or RandAugmentOp.BrightnessIncreasing
                or RandAugmentOp.SharpnessIncreasing => 1 + sign * level * EnhanceRange,
            RandAugmentOp.ShearX or RandAugmentOp.ShearY => sign * level * ShearRange,
            RandAugmentOp.TranslateXRel or RandAugmentOp.TranslateYRel => sign * level * TranslateFraction,
            _ => 0,
        };
    }

    /// <summary>
    /// One operation on a (C, H, W) image in [0, 1] with the argument of <see cref="Argument"/>; pixels brought in
    /// from outside by geometric operations get <paramref name="fill"/>, a (C) tensor.
    /// </summary>
    public static Tensor ApplyOp(Tensor image, RandAugmentOp op, double argument, Tensor fill)
    {
        long width = image.shape[2];
        long height = image.shape[1];
        return op switch
        {
            RandAugmentOp.AutoContrast => AutoContrast(image),
            RandAugmentOp.Equalize => Equalize(image),
            RandAugmentOp.Invert => 1 - image,
            RandAugmentOp.Rotate => Rotate(image, argument, fill),
            RandAugmentOp.PosterizeIncreasing => Posterize(image, (int)argument),
            RandAugmentOp.SolarizeIncreasing => Solarize(image, argument),
            RandAugmentOp.SolarizeAdd => SolarizeAdd(image, argument),
            RandAugmentOp.ColorIncreasing => ImageOps.Saturation(image, argument),
            RandAugmentOp.ContrastIncreasing => ImageOps.Contrast(image, argument),
            RandAugmentOp.BrightnessIncreasing => ImageOps.Brightness(image, argument),
            RandAugmentOp.SharpnessIncreasing => Sharpness(image, argument),
            RandAugmentOp.ShearX => ImageOps.Warp(image, [1, argument, 0, 0, 1, 0], fill),
            RandAugmentOp.ShearY => ImageOps.Warp(image, [1, 0, 0, argument, 1, 0], fill),
            RandAugmentOp.TranslateXRel => ImageOps.Warp(image, [1, 0, argument * width, 0, 1, 0], fill),
            RandAugmentOp.TranslateYRel => ImageOps.Warp(image, [1, 0, 0, 0, 1, argument * height], fill),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown operation"),
        };
    }

    /// <summary>Per channel, stretches [min, max] to [0, 1]; constant channels stay as they are.</summary>
    private static Tensor AutoContrast(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var low = image.amin([1, 2], keepdim: true);
        var high = image.amax([1, 2], keepdim: true);
        var range = high - low;
        var stretched = (image - low) / range.clamp_min(1e-12);
        return torch.where(range.gt(0), stretched, image).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// PIL's ImageOps.equalize per channel on the image quantised to 0..255: with step = (pixels − count of the
    /// highest occupied level) / 255 (integer division), level i maps to (step / 2 + pixels below i) / step;
    /// a channel with one level or step 0 is unchanged.
    /// </summary>
    private static Tensor Equalize(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var levels = Quantise(image);
        var channels = new Tensor[image.shape[0]];
        for (int c = 0; c < channels.Length; c++)
        {
            var channelLevels = levels[c].flatten();
            var histogram = torch.bincount(channelLevels, minlength: 256).data<long>().ToArray();
            var lookup = EqualizeLookup(histogram);
            channels[c] = lookup is null
                ? image[c]
                : torch.tensor(lookup, image.dtype, image.device).index_select(0, channelLevels).view_as(image[c]) / 255;
        }
        return torch.stack(channels).MoveToOuterDisposeScope();
    }

    private static float[]? EqualizeLookup(long[] histogram)
    {
        var occupied = histogram.Where(count => count > 0).ToArray();
        if (occupied.Length <= 1)
        {
            return null;
        }
        long step = (occupied.Sum() - occupied[^1]) / 255;
        if (step == 0)
        {
            return null;
        }
        var lookup = new float[256];
        long running = step / 2;
        for (int level = 0; level < 256; level++)
        {
            lookup[level] = Math.Min(255, running / step);
            running += histogram[level];
        }
        return lookup;
    }

    /// <summary>Keeps the top <paramref name="bits"/> bits of the 8-bit level (0 bits: black; 8 or more: unchanged).</summary>
    private static Tensor Posterize(Tensor image, int bits)
    {
        if (bits >= 8)
        {
            return image.clone();
        }
        using var levels = Quantise(image);
        long bucket = 1L << (8 - bits);
        using var kept = levels.div(bucket, RoundingMode.floor).mul_(bucket);
        return kept.to(image.dtype).div_(255);
    }

    /// <summary>Inverts the pixels whose 8-bit level is at or above the threshold.</summary>
    private static Tensor Solarize(Tensor image, double threshold)
    {
        using var levels = Quantise(image);
        using var above = levels.ge(threshold);
        using var inverted = 1 - image;
        return torch.where(above, inverted, image);
    }

    /// <summary>Adds <paramref name="amount"/> (of 255) to the pixels whose 8-bit level is below 128, saturating at 1.</summary>
    private static Tensor SolarizeAdd(Tensor image, double amount)
    {
        using var levels = Quantise(image);
        using var below = levels.lt(SolarizeAddThreshold);
        using var added = (image + amount / 255).clamp_(0, 1);
        return torch.where(below, added, image);
    }

    /// <summary>
    /// PIL's ImageEnhance.Sharpness: blend with the image smoothed by [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13, whose
    /// border pixels are the original ones.
    /// </summary>
    private static Tensor Sharpness(Tensor image, double factor)
    {
        using var scope = torch.NewDisposeScope();
        long channels = image.shape[0];
        var degenerate = image.clone();
        if (image.shape[1] > 2 && image.shape[2] > 2)
        {
            var kernel = torch.tensor(SmoothKernel, image.dtype, image.device).div_(13).view(1, 1, 3, 3).expand(channels, 1, 3, 3);
            degenerate[.., 1..^1, 1..^1] = nn.functional.conv2d(image.unsqueeze(0), kernel, groups: channels).squeeze(0);
        }
        return ImageOps.Blend(image, degenerate, factor).MoveToOuterDisposeScope();
    }

    /// <summary>PIL's Image.rotate about the image centre, counter-clockwise for positive degrees.</summary>
    private static Tensor Rotate(Tensor image, double degrees, Tensor fill)
    {
        double angle = -degrees * Math.PI / 180;
        double cos = Math.Cos(angle);
        double sin = Math.Sin(angle);
        double centreX = image.shape[2] / 2.0;
        double centreY = image.shape[1] / 2.0;
        return ImageOps.Warp(
            image,
            [cos, sin, centreX - cos * centreX - sin * centreY, -sin, cos, centreY + sin * centreX - cos * centreY],
            fill);
    }

    /// <summary>The 8-bit level round(255·x) as int64.</summary>
    private static Tensor Quantise(Tensor image)
    {
        using var scaled = image * 255;
        using var rounded = scaled.round_().clamp_(0, 255);
        return rounded.to(ScalarType.Int64);
    }
}
