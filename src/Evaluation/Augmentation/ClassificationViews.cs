using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Augmentation;

/// <summary>A crop rectangle in pixels: rows [Top, Top + Height), columns [Left, Left + Width).</summary>
public readonly record struct CropBox(int Top, int Left, int Height, int Width);

/// <summary>
/// The two classification views of spec (f), on float images in [0, 1] shaped (B, C, H, W), any C:
/// <list type="bullet">
/// <item><see cref="Train"/>: torchvision's RandomResizedCrop (area scale in [<see cref="MinScale"/>,
/// <see cref="MaxScale"/>], aspect ratio log-uniform in [<see cref="MinRatio"/>, <see cref="MaxRatio"/>], ten
/// attempts, then a centre crop of the clamped ratio), bicubic resize to size², then a horizontal flip with
/// probability ½; every image draws its own crop and flip from the generator.</item>
/// <item><see cref="Test"/>: bicubic resize of the shorter side to round(size·256/224), then the centre size² crop.</item>
/// </list>
/// Results are clamped to [0, 1]; <see cref="Normalise"/> comes afterwards.
/// </summary>
public sealed class ClassificationViews
{
    private const int CropAttempts = 10;

    public ClassificationViews(
        double minScale = 0.08, double maxScale = 1, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3,
        bool horizontalFlip = true)
    {
        if (minScale <= 0 || minScale > maxScale || maxScale > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minScale), $"need 0 < minScale ≤ maxScale ≤ 1, got ({minScale}, {maxScale})");
        }
        if (minRatio <= 0 || minRatio > maxRatio)
        {
            throw new ArgumentOutOfRangeException(nameof(minRatio), $"need 0 < minRatio ≤ maxRatio, got ({minRatio}, {maxRatio})");
        }
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
        HorizontalFlip = horizontalFlip;
    }

    public double MinScale { get; }

    public double MaxScale { get; }

    public double MinRatio { get; }

    public double MaxRatio { get; }

    public bool HorizontalFlip { get; }

    /// <summary>The random training view of every image: (B, C, size, size).</summary>
    public Tensor Train(Tensor images, int size, torch.Generator generator)
    {
        RequireImages(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        using var scope = torch.NewDisposeScope();
        int height = (int)images.shape[2];
        int width = (int)images.shape[3];
        var views = new Tensor[images.shape[0]];
        for (int i = 0; i < views.Length; i++)
        {
            var box = SampleCrop(height, width, generator);
            var crop = images[i..(i + 1), .., box.Top..(box.Top + box.Height), box.Left..(box.Left + box.Width)];
            views[i] = ImageOps.Resize(crop, size, size);
            if (HorizontalFlip && generator.Uniform() < 0.5)
            {
                views[i] = views[i].flip(-1);
            }
        }
        return torch.cat(views, 0).MoveToOuterDisposeScope();
    }

    /// <summary>torchvision's <c>RandomResizedCrop.get_params</c> for a height × width image.</summary>
    public CropBox SampleCrop(int height, int width, torch.Generator generator)
    {
        double area = (double)height * width;
        for (int attempt = 0; attempt < CropAttempts; attempt++)
        {
            double targetArea = area * generator.Uniform(MinScale, MaxScale);
            double aspectRatio = Math.Exp(generator.Uniform(Math.Log(MinRatio), Math.Log(MaxRatio)));
            int cropWidth = (int)Math.Round(Math.Sqrt(targetArea * aspectRatio));
            int cropHeight = (int)Math.Round(Math.Sqrt(targetArea / aspectRatio));
            if (cropWidth > 0 && cropWidth <= width && cropHeight > 0 && cropHeight <= height)
            {
                int top = generator.Integer(0, height - cropHeight + 1);
                int left = generator.Integer(0, width - cropWidth + 1);
                return new CropBox(top, left, cropHeight, cropWidth);
            }
        }
        return FallbackCrop(height, width);
    }

    /// <summary>The deterministic view for evaluation: (B, C, size, size).</summary>
    public static Tensor Test(Tensor images, int size)
    {
        RequireImages(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        long height = images.shape[2];
        long width = images.shape[3];
        int shorter = TestResizeSize(size);
        // The longer side keeps the aspect ratio, truncated as torchvision's Resize(int) does.
        int newHeight = height <= width ? shorter : (int)(shorter * height / width);
        int newWidth = height <= width ? (int)(shorter * width / height) : shorter;
        using var resized = ImageOps.Resize(images, newHeight, newWidth);
        int top = (int)Math.Round((newHeight - size) / 2.0);
        int left = (int)Math.Round((newWidth - size) / 2.0);
        using var crop = resized[.., .., top..(top + size), left..(left + size)];
        return crop.clone();
    }
    /// <summary>The shorter side before the centre crop: round(size·256/224), 256 for 224.</summary>
    public static int TestResizeSize(int size) => (int)Math.Round(size * 256.0 / 224.0);

    /// <summary>The whole image when its ratio is in range, else the largest centred crop of the nearest ratio.</summary>
    private CropBox FallbackCrop(int height, int width)
    {
        double inputRatio = (double)width / height;
        int cropWidth = width;
        int cropHeight = height;
        if (inputRatio < MinRatio)
        {
            cropHeight = (int)Math.Round(width / MinRatio);
        }
        else if (inputRatio > MaxRatio)
        {
            cropWidth = (int)Math.Round(height * MaxRatio);
        }
        return new CropBox((height - cropHeight) / 2, (width - cropWidth) / 2, cropHeight, cropWidth);
    }

    private static void RequireImages(Tensor images)
    {
        if (images.dim() != 4 || images.shape[0] == 0)
        {
            throw new ArgumentException($"expected a non-empty (B, C, H, W) batch, got [{string.Join(", ", images.shape)}]", nameof(images));
        }
    }
}
