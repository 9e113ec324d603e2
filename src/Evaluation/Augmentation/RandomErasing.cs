using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>
/// timm's RandomErasing in 'pixel' mode with one box, on normalised images (B, C, H, W): each image, with
/// probability <see cref="Probability"/>, gets one rectangle of area fraction U[<see cref="MinArea"/>,
/// <see cref="MaxArea"/>] and log-uniform aspect ratio in [<see cref="MinAspect"/>, 1 / <see cref="MinAspect"/>]
/// (ten attempts to fit strictly inside) filled with independent N(0, 1) noise per pixel and channel.
/// </summary>
public sealed class RandomErasing
{
    private const int Attempts = 10;

    public RandomErasing(double probability = 0.25, double minArea = 0.02, double maxArea = 1.0 / 3, double minAspect = 0.3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(probability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(probability, 1);
        if (minArea <= 0 || minArea > maxArea || maxArea > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minArea), $"need 0 < minArea ≤ maxArea ≤ 1, got ({minArea}, {maxArea})");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minAspect);
        Probability = probability;
        MinArea = minArea;
        MaxArea = maxArea;
        MinAspect = minAspect;
    }

    public double Probability { get; }

    public double MinArea { get; }

    public double MaxArea { get; }

    public double MinAspect { get; }

    /// <summary>A copy of <paramref name="images"/> with the erased rectangles.</summary>
    public Tensor Apply(Tensor images, torch.Generator generator)
    {
        if (images.dim() != 4)
        {
            throw new ArgumentException($"expected (B, C, H, W), got [{string.Join(", ", images.shape)}]", nameof(images));
        }
        var erased = images.clone();
        long channels = images.shape[1];
        int height = (int)images.shape[2];
        int width = (int)images.shape[3];
        double logMinAspect = Math.Log(MinAspect);
        for (int i = 0; i < images.shape[0]; i++)
        {
            // timm skips when random() > probability.
            if (generator.Uniform() > Probability)
            {
                continue;
            }
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                double targetArea = generator.Uniform(MinArea, MaxArea) * height * width;
                double aspect = Math.Exp(generator.Uniform(logMinAspect, -logMinAspect));
                int boxHeight = (int)Math.Round(Math.Sqrt(targetArea * aspect));
                int boxWidth = (int)Math.Round(Math.Sqrt(targetArea / aspect));
                if (boxWidth < width && boxHeight < height)
                {
                    // timm's random.randint includes both ends.
                    int top = generator.Integer(0, height - boxHeight + 1);
                    int left = generator.Integer(0, width - boxWidth + 1);
                    using var noise = torch.randn([channels, boxHeight, boxWidth], images.dtype, generator: generator);
                    using var box = erased[i, .., top..(top + boxHeight), left..(left + boxWidth)];
                    box.copy_(noise);
                    break;
                }
            }
        }
        return erased;
    }
}
