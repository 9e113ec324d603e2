using System.Numerics;

namespace SemanticMIM.Data.Imaging;

/// <summary>
/// Separable resampling with pixel centres at half-integers. When shrinking, the kernel is widened by the scale
/// factor (as PIL does) so downscaled images are antialiased rather than aliased.
/// </summary>
public static class ImageResizer
{
    public static ImageBuffer Resize(ImageBuffer image, int width, int height, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == image.Width && height == image.Height)
            return new ImageBuffer(width, height, image.Channels, (byte[])image.Pixels.Clone());

        var horizontal = ResamplingWeights.Compute(image.Width, width, filter);
        var vertical = ResamplingWeights.Compute(image.Height, height, filter);
        var channels = image.Channels;

        // Each output value is sum += weight[k] · input[k] for k ascending from 0, in float, in both passes; the loops are
        // arranged for speed (whole rows at a time, vectors in the vertical pass) without changing that order.
        var source = image.Pixels;
        var rows = new float[image.Height * width * channels];
        for (var y = 0; y < image.Height; y++)
        {
            var sourceRow = source.AsSpan(y * image.Width * channels, image.Width * channels);
            var targetRow = rows.AsSpan(y * width * channels, width * channels);
            for (var x = 0; x < width; x++)
            {
                var (first, weights) = horizontal[x];
                for (var c = 0; c < channels; c++)
                {
                    var sum = 0f;
                    for (int k = 0, at = first * channels + c; k < weights.Length; k++, at += channels)
                        sum += weights[k] * sourceRow[at];
                    targetRow[x * channels + c] = sum;
                }
            }
        }

        int rowLength = width * channels;
        var output = new byte[height * rowLength];
        var sums = new float[rowLength];
        for (var y = 0; y < height; y++)
        {
            var (first, weights) = vertical[y];
            Array.Clear(sums);
            for (var k = 0; k < weights.Length; k++)
                AddScaled(sums, rows.AsSpan((first + k) * rowLength, rowLength), weights[k]);
            var target = output.AsSpan(y * rowLength, rowLength);
            for (var i = 0; i < rowLength; i++)
                target[i] = (byte)Math.Clamp(MathF.Round(sums[i]), 0f, 255f);
        }
        return new ImageBuffer(width, height, channels, output);
    }

    // sums[i] += weight · row[i]: a multiply then an add, as the scalar loop does (no fused multiply-add).
    private static void AddScaled(Span<float> sums, ReadOnlySpan<float> row, float weight)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scale = new Vector<float>(weight);
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var sum = new Vector<float>(sums[i..]);
                (sum + scale * new Vector<float>(row[i..])).CopyTo(sums[i..]);
            }
        }
        for (; i < row.Length; i++)
            sums[i] += weight * row[i];
    }

    /// <summary>Scales down, keeping the aspect ratio, so that the shorter side is at most <paramref name="maxShorterSide"/>.</summary>
    public static ImageBuffer LimitShorterSide(ImageBuffer image, int maxShorterSide, ResizeFilter filter = ResizeFilter.Bicubic)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = BoundedSize(image.Width, image.Height, maxShorterSide);
        return width == image.Width && height == image.Height ? image : Resize(image, width, height, filter);
    }

    public static (int Width, int Height) BoundedSize(int width, int height, int maxShorterSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShorterSide);
        var shorter = Math.Min(width, height);
        if (shorter <= maxShorterSide)
            return (width, height);
        var scale = (double)maxShorterSide / shorter;
        return width <= height
            ? (maxShorterSide, Math.Max(1, (int)Math.Round(height * scale)))
            : (Math.Max(1, (int)Math.Round(width * scale)), maxShorterSide);
    }
}
