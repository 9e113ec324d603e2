using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>
/// A mixed batch: the images, the (B, K) soft targets (rows sum to 1), the weight <paramref name="Lambda"/> of each
/// image's own label (after CutMix's area correction) and whether CutMix (rather than Mixup) was used.
/// </summary>
public sealed record MixedBatch(Tensor Images, Tensor Targets, double Lambda, bool CutMix);

/// <summary>
/// timm's Mixup in batch mode: with probability <see cref="Probability"/> the whole batch is mixed with its reversed
/// copy (image i with image B − 1 − i), by CutMix with probability <see cref="SwitchProbability"/> (λ ~
/// Beta(<see cref="CutMixAlpha"/>, same), one box for the batch, λ corrected to 1 − box area / image area) else
/// Mixup (λ ~ Beta(<see cref="MixupAlpha"/>, same), λ·x + (1 − λ)·x_reversed). Targets are λ·y + (1 − λ)·y_reversed
/// with label smoothing folded into the one-hot rows (<see cref="SoftTargets"/>). An alpha of 0 disables that mode.
/// </summary>
public sealed class MixupCutmix
{
    public MixupCutmix(
        int numClasses, double mixupAlpha = 0.8, double cutMixAlpha = 1.0, double switchProbability = 0.5,
        double probability = 1.0, double labelSmoothing = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(mixupAlpha);
        ArgumentOutOfRangeException.ThrowIfNegative(cutMixAlpha);
        if (mixupAlpha == 0 && cutMixAlpha == 0)
        {
            throw new ArgumentException("at least one of the Mixup and CutMix alphas must be positive");
        }
        foreach (var (value, name) in new[] { (switchProbability, nameof(switchProbability)), (probability, nameof(probability)), (labelSmoothing, nameof(labelSmoothing)) })
        {
            if (value is < 0 or > 1)
            {
                throw new ArgumentOutOfRangeException(name, value, "must lie in [0, 1]");
            }
        }
        NumClasses = numClasses;
        MixupAlpha = mixupAlpha;
        CutMixAlpha = cutMixAlpha;
        SwitchProbability = switchProbability;
        Probability = probability;
        LabelSmoothing = labelSmoothing;
    }

    public int NumClasses { get; }

    public double MixupAlpha { get; }

    public double CutMixAlpha { get; }

    public double SwitchProbability { get; }

    public double Probability { get; }

    public double LabelSmoothing { get; }

    /// <summary>Mixes (B, C, H, W) images with int64 labels (B); the inputs are left unchanged.</summary>
    public MixedBatch Apply(Tensor images, Tensor labels, torch.Generator generator)
    {
        if (images.dim() != 4 || labels.dim() != 1 || labels.shape[0] != images.shape[0])
        {
            throw new ArgumentException(
                $"expected (B, C, H, W) images and (B) labels, got [{string.Join(", ", images.shape)}] and [{string.Join(", ", labels.shape)}]");
        }
        var (lambda, useCutMix) = SampleLambda(generator);
        if (lambda == 1)
        {
            return new MixedBatch(images.clone(), SoftTargets(labels, NumClasses, 1, LabelSmoothing), 1, false);
        }
        using var reversed = images.flip(0);
        Tensor mixed;
        if (useCutMix)
        {
            var box = SampleBox(images.shape[2], images.shape[3], lambda, generator);
            mixed = images.clone();
            using var target = mixed[.., .., box.Top..(box.Top + box.Height), box.Left..(box.Left + box.Width)];
            using var source = reversed[.., .., box.Top..(box.Top + box.Height), box.Left..(box.Left + box.Width)];
            target.copy_(source);
            lambda = 1 - (double)box.Height * box.Width / (images.shape[2] * images.shape[3]);
        }
        else
        {
            mixed = (images * lambda).add_(reversed, alpha: 1 - lambda);
        }
        return new MixedBatch(mixed, SoftTargets(labels, NumClasses, lambda, LabelSmoothing), lambda, useCutMix);
    }

    /// <summary>
    /// timm's mixup_target: λ·smooth(y) + (1 − λ)·smooth(y reversed), smooth(y) being the one-hot row with
    /// 1 − smoothing + smoothing / K at the label and smoothing / K elsewhere. (B, K) float32.
    /// </summary>
    public static Tensor SoftTargets(Tensor labels, int numClasses, double lambda, double smoothing)
    {
        using var scope = torch.NewDisposeScope();
        double off = smoothing / numClasses;
        double on = 1 - smoothing + off;
        var oneHot = nn.functional.one_hot(labels.to(ScalarType.Int64), numClasses).to(ScalarType.Float32);
        var smoothed = oneHot.mul_(on - off).add_(off);
        return (lambda * smoothed + (1 - lambda) * smoothed.flip(0)).MoveToOuterDisposeScope();
    }

    private (double Lambda, bool CutMix) SampleLambda(torch.Generator generator)
    {
        if (generator.Uniform() >= Probability)
        {
            return (1, false);
        }
        bool useCutMix = MixupAlpha == 0 || (CutMixAlpha > 0 && generator.Uniform() < SwitchProbability);
        double alpha = useCutMix ? CutMixAlpha : MixupAlpha;
        return (generator.Beta(alpha, alpha), useCutMix);
    }

    /// <summary>
    /// timm's rand_bbox: sides ⌊H·√(1 − λ)⌋ × ⌊W·√(1 − λ)⌋ around a uniform centre, clipped to the image.
    /// </summary>
    private static CropBox SampleBox(long height, long width, double lambda, torch.Generator generator)
    {
        double ratio = Math.Sqrt(1 - lambda);
        int cutHeight = (int)(height * ratio);
        int cutWidth = (int)(width * ratio);
        int centreY = generator.Integer(0, (int)height);
        int centreX = generator.Integer(0, (int)width);
        int top = Math.Clamp(centreY - cutHeight / 2, 0, (int)height);
        int bottom = Math.Clamp(centreY + cutHeight / 2, 0, (int)height);
        int left = Math.Clamp(centreX - cutWidth / 2, 0, (int)width);
        int right = Math.Clamp(centreX + cutWidth / 2, 0, (int)width);
        return new CropBox(top, left, bottom - top, right - left);
    }
}
