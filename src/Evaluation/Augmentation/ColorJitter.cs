using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>
/// torchvision's ColorJitter without hue, as the official MaskFeat fine-tuning config uses it (brightness, contrast
/// and saturation 0.4): per image, factors uniform in [max(0, 1 − s), 1 + s], applied in a random order. Contrast
/// blends with the mean grey level, saturation with the grey image (luma for three channels, channel mean otherwise).
/// </summary>
public sealed class ColorJitter
{
    public ColorJitter(double brightness, double contrast, double saturation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(brightness);
        ArgumentOutOfRangeException.ThrowIfNegative(contrast);
        ArgumentOutOfRangeException.ThrowIfNegative(saturation);
        Brightness = brightness;
        Contrast = contrast;
        Saturation = saturation;
    }

    public double Brightness { get; }

    public double Contrast { get; }

    public double Saturation { get; }

    /// <summary>Jitters every image of (B, C, H, W) in [0, 1] independently; same shape, in [0, 1].</summary>
    public Tensor Apply(Tensor images, torch.Generator generator)
    {
        if (images.dim() != 4)
        {
            throw new ArgumentException($"expected (B, C, H, W), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        using var scope = torch.NewDisposeScope();
        var adjustments = new (double Strength, Func<Tensor, double, Tensor> Adjust)[]
        {
            (Brightness, ImageOps.Brightness),
            (Contrast, ImageOps.Contrast),
            (Saturation, ImageOps.Saturation),
        };
        var jittered = new Tensor[images.shape[0]];
        for (int i = 0; i < jittered.Length; i++)
        {
            var image = images[i];
            using var order = torch.randperm(adjustments.Length, generator: generator);
            foreach (long index in order.data<long>().ToArray())
            {
                var (strength, adjust) = adjustments[index];
                if (strength > 0)
                {
                    image = adjust(image, generator.Uniform(Math.Max(0, 1 - strength), 1 + strength));
                }
            }
            jittered[i] = image;
        }
        return torch.stack(jittered).MoveToOuterDisposeScope();
    }
}
