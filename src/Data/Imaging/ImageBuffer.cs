namespace SemanticMIM.Data.Imaging;

/// <summary>An 8-bit image with 1 (grayscale) or 3 (RGB) channels, pixels stored row-major as HWC.</summary>
public sealed class ImageBuffer
{
    public ImageBuffer(int width, int height, int channels, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1 (grayscale) or 3 (RGB).");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"Expected {width * height * channels} bytes for {width}x{height}x{channels}, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public byte[] Pixels { get; }

    public ColorMode ColorMode => Channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb;

    public static ImageBuffer Blank(int width, int height, int channels) =>
        new(width, height, channels, new byte[width * height * channels]);

    public byte this[int x, int y, int channel]
    {
        get => Pixels[(y * Width + x) * Channels + channel];
        set => Pixels[(y * Width + x) * Channels + channel] = value;
    }
}
