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

        var rows = new float[image.Height * width * channels];
        for (var y = 0; y < image.Height; y++)
            for (var x = 0; x < width; x++)
            {
                var (first, weights) = horizontal[x];
                for (var c = 0; c < channels; c++)
                {
                    var sum = 0f;
                    for (var k = 0; k < weights.Length; k++)
                        sum += weights[k] * image.Pixels[(y * image.Width + first + k) * channels + c];
                    rows[(y * width + x) * channels + c] = sum;
                }
            }

        var output = new byte[width * height * channels];
        for (var y = 0; y < height; y++)
        {
            var (first, weights) = vertical[y];
            for (var x = 0; x < width; x++)
                for (var c = 0; c < channels; c++)
                {
                    var sum = 0f;
                    for (var k = 0; k < weights.Length; k++)
                        sum += weights[k] * rows[((first + k) * width + x) * channels + c];
                    output[(y * width + x) * channels + c] = (byte)Math.Clamp(MathF.Round(sum), 0f, 255f);
                }
        }
        return new ImageBuffer(width, height, channels, output);
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
