using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Data.Views;

/// <summary>
/// Draws RandomResizedCrop boxes and horizontal flips as torchvision does (area scale range, log-uniform aspect
/// ratio in [3/4, 4/3], ten tries, then the central crop clamped to the ratio range), from a random stream that
/// depends only on (seed, sample index, view index).
/// </summary>
public sealed record ViewSampler
{
    public double MinScale { get; init; } = 0.5;

    public double MaxScale { get; init; } = 1.0;

    public double MinRatio { get; init; } = 3.0 / 4.0;

    public double MaxRatio { get; init; } = 4.0 / 3.0;

    public bool Flip { get; init; } = true;

    public long Seed { get; init; }

    private const int Tries = 10;

    /// <summary>The sampler of a planned augmentation (torchvision's aspect-ratio range).</summary>
    public static ViewSampler For(ViewAugmentation augmentation) => new()
    {
        MinScale = augmentation.MinScale, MaxScale = augmentation.MaxScale, Flip = augmentation.Flip, Seed = augmentation.Seed,
    };

    public CropView Sample(int imageWidth, int imageHeight, long sampleIndex, int viewIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        if (MinScale <= 0 || MinScale > MaxScale || MaxScale > 1)
            throw new InvalidOperationException($"The scale range ({MinScale}, {MaxScale}) must satisfy 0 < min <= max <= 1.");
        var random = new SplitMix64(Seed, sampleIndex, viewIndex);
        var (left, top, width, height) = CropBox(imageWidth, imageHeight, ref random);
        bool flip = Flip && random.NextDouble() < 0.5;
        return new CropView(left, top, width, height, flip);
    }

    private (int Left, int Top, int Width, int Height) CropBox(int imageWidth, int imageHeight, ref SplitMix64 random)
    {
        double area = (double)imageWidth * imageHeight;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Tries; attempt++)
        {
            double targetArea = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int width = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
            int height = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
            if (width > 0 && width <= imageWidth && height > 0 && height <= imageHeight)
            {
                int top = random.NextInt(imageHeight - height + 1);
                int left = random.NextInt(imageWidth - width + 1);
                return (left, top, width, height);
            }
        }
        double inputRatio = (double)imageWidth / imageHeight;
        int fallbackWidth = imageWidth, fallbackHeight = imageHeight;
        if (inputRatio < MinRatio)
            fallbackHeight = (int)Math.Round(imageWidth / MinRatio, MidpointRounding.ToEven);
        else if (inputRatio > MaxRatio)
            fallbackWidth = (int)Math.Round(imageHeight * MaxRatio, MidpointRounding.ToEven);
        return ((imageWidth - fallbackWidth) / 2, (imageHeight - fallbackHeight) / 2, fallbackWidth, fallbackHeight);
    }
}
