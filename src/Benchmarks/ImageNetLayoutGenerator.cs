using System.Globalization;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Views;

namespace SemanticMIM.Benchmarks;

/// <summary>
/// Writes a small data set in ImageNet's folder layout, so the suite runs anywhere without ImageNet:
/// <c>train/&lt;wnid&gt;/&lt;wnid&gt;_&lt;i&gt;.JPEG</c>, a flat <c>val/</c> and <c>val_labels.txt</c> ("file wnid" per line).
/// Images are 300–500 pixels a side (ImageNet's typical range), JPEG quality 90, with smooth gradients, shapes and
/// grain, so that they decode and compress like photographs rather than like flat colour or pure noise. The same
/// seed writes the same bytes.
/// </summary>
public static class ImageNetLayoutGenerator
{
    public const int MinSide = 300;
    public const int MaxSide = 500;

    /// <summary>Writes the data set under <paramref name="root"/> (replacing nothing that exists) and returns the number of images.</summary>
    public static int Generate(string root, int classes, int trainPerClass, int validationPerClass, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainPerClass);
        ArgumentOutOfRangeException.ThrowIfNegative(validationPerClass);
        var validation = Directory.CreateDirectory(Path.Combine(root, "val")).FullName;
        var labels = new List<string>();
        int written = 0;
        for (int c = 0; c < classes; c++)
        {
            string wnid = string.Create(CultureInfo.InvariantCulture, $"n{c + 1:D8}");
            var folder = Directory.CreateDirectory(Path.Combine(root, "train", wnid)).FullName;
            for (int i = 0; i < trainPerClass + validationPerClass; i++)
            {
                var random = new SplitMix64(seed, c, i);
                var image = Render(c, ref random);
                bool train = i < trainPerClass;
                string name = train
                    ? string.Create(CultureInfo.InvariantCulture, $"{wnid}_{i}.JPEG")
                    : string.Create(CultureInfo.InvariantCulture, $"ILSVRC2012_val_{c * validationPerClass + i - trainPerClass + 1:D8}.JPEG");
                File.WriteAllBytes(Path.Combine(train ? folder : validation, name), ImageCodec.EncodeJpeg(image, 90));
                if (!train)
                {
                    labels.Add($"{name} {wnid}");
                }
                written++;
            }
        }
        File.WriteAllLines(Path.Combine(root, "val_labels.txt"), labels);
        return written;
    }

    private static ImageBuffer Render(int classIndex, ref SplitMix64 random)
    {
        int width = MinSide + random.NextInt(MaxSide - MinSide + 1);
        int height = MinSide + random.NextInt(MaxSide - MinSide + 1);
        var pixels = new byte[width * height * 3];
        // A class-tinted diagonal gradient, then a few ellipses, then grain.
        Span<double> from = [random.NextDouble() * 255, random.NextDouble() * 255, random.NextDouble() * 255];
        Span<double> to = [(classIndex * 67) % 256, (classIndex * 131) % 256, (classIndex * 29) % 256];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double t = (x + y) / (double)(width + height);
                for (int ch = 0; ch < 3; ch++)
                {
                    pixels[(y * width + x) * 3 + ch] = (byte)(from[ch] + (to[ch] - from[ch]) * t);
                }
            }
        }
        int shapes = 3 + random.NextInt(4);
        for (int s = 0; s < shapes; s++)
        {
            double cx = random.NextDouble() * width, cy = random.NextDouble() * height;
            double rx = 20 + random.NextDouble() * width / 3, ry = 20 + random.NextDouble() * height / 3;
            Span<byte> color = [(byte)random.NextInt(256), (byte)random.NextInt(256), (byte)random.NextInt(256)];
            for (int y = Math.Max(0, (int)(cy - ry)); y < Math.Min(height, (int)(cy + ry) + 1); y++)
            {
                for (int x = Math.Max(0, (int)(cx - rx)); x < Math.Min(width, (int)(cx + rx) + 1); x++)
                {
                    double dx = (x - cx) / rx, dy = (y - cy) / ry;
                    if (dx * dx + dy * dy <= 1)
                    {
                        color.CopyTo(pixels.AsSpan((y * width + x) * 3, 3));
                    }
                }
            }
        }
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp(pixels[i] + random.NextInt(17) - 8, 0, 255);
        }
        return new ImageBuffer(width, height, 3, pixels);
    }
}
