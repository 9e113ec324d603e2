using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// The VOC probe's training views (spec (f)): RandomResizedCrop to the input size with scale (0.8, 1) and ratio
/// (3/4, 4/3), bilinear for the image and nearest for the label map, then a horizontal flip with probability 0.5,
/// the same crop and flip for both. The crop box follows torchvision's sampling (ten tries, then the central box).
/// </summary>
public static class SegmentationViews
{
    /// <summary>Views of images (B, C, H, W) and labels (B, H, W) at <paramref name="size"/>²: (B, C, s, s) and (B, s, s).</summary>
    public static (Tensor Images, Tensor Labels) RandomResizedCrop(
        Tensor images, Tensor labels, int size, double minScale, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long count = images.shape[0];
        int height = (int)images.shape[2];
        int width = (int)images.shape[3];
        var viewImages = new Tensor[count];
        var viewLabels = new Tensor[count];
        for (long i = 0; i < count; i++)
        {
            var (top, left, boxHeight, boxWidth) = CropBox(height, width, minScale, 1.0, generator);
            var image = images[i].narrow(1, top, boxHeight).narrow(2, left, boxWidth).unsqueeze(0);
            var label = labels[i].narrow(0, top, boxHeight).narrow(1, left, boxWidth).unsqueeze(0).unsqueeze(0);
            image = nn.functional.interpolate(image, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
            label = nn.functional.interpolate(label.to(ScalarType.Float32), [size, size], mode: InterpolationMode.Nearest)
                .to(labels.dtype);
            if (Uniform(generator) < 0.5)
            {
                image = image.flip(3);
                label = label.flip(3);
            }
            viewImages[i] = image;
            viewLabels[i] = label[.., 0];
        }
        return (torch.cat(viewImages, 0).MoveToOuterDisposeScope(), torch.cat(viewLabels, 0).MoveToOuterDisposeScope());
    }

    /// <summary>torchvision's RandomResizedCrop.get_params: (top, left, height, width) of the box.</summary>
    public static (int Top, int Left, int Height, int Width) CropBox(int height, int width, double minScale, double maxScale, torch.Generator generator)
    {
        double area = (double)height * width;
        double logLow = Math.Log(3.0 / 4), logHigh = Math.Log(4.0 / 3);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * (minScale + (maxScale - minScale) * Uniform(generator));
            double aspect = Math.Exp(logLow + (logHigh - logLow) * Uniform(generator));
            int boxWidth = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int boxHeight = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (boxWidth > 0 && boxWidth <= width && boxHeight > 0 && boxHeight <= height)
            {
                int top = RandomInt(height - boxHeight + 1, generator);
                int left = RandomInt(width - boxWidth + 1, generator);
                return (top, left, boxHeight, boxWidth);
            }
        }
        double ratio = (double)width / height;
        var (fallbackWidth, fallbackHeight) = ratio < 3.0 / 4 ? (width, (int)Math.Round(width / (3.0 / 4)))
            : ratio > 4.0 / 3 ? ((int)Math.Round(height * (4.0 / 3)), height)
            : (width, height);
        return ((height - fallbackHeight) / 2, (width - fallbackWidth) / 2, fallbackHeight, fallbackWidth);
    }

    private static double Uniform(torch.Generator generator)
    {
        using var sample = torch.rand(1, dtype: ScalarType.Float64, generator: generator);
        return sample.item<double>();
    }

    private static int RandomInt(int bound, torch.Generator generator)
    {
        using var sample = torch.randint(bound, [1], generator: generator);
        return (int)sample.item<long>();
    }
}
