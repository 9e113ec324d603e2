using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Tests;

internal static class TestImages
{
    /// <summary>A smooth colour pattern (JPEG-friendly) with a little seeded noise.</summary>
    public static ImageBuffer Smooth(int width, int height, int seed = 0, int channels = 3)
    {
        var random = new Random(seed);
        var image = ImageBuffer.Blank(width, height, channels);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                for (var c = 0; c < channels; c++)
                    image[x, y, c] = (byte)Math.Clamp(40 + 150 * (x + c * y) / (width + c * height) + random.Next(-5, 6), 0, 255);
        return image;
    }

    public static ImageBuffer Noise(int width, int height, int seed, int channels = 3)
    {
        var pixels = new byte[width * height * channels];
        new Random(seed).NextBytes(pixels);
        return new ImageBuffer(width, height, channels, pixels);
    }

    public static byte[] Jpeg(int width, int height, int seed = 0) => ImageCodec.EncodeJpeg(Smooth(width, height, seed), 90);

    /// <summary>The first half of a real JPEG: a header that parses, then data that stops mid-scan.</summary>
    public static byte[] TruncatedJpeg(int width = 96, int height = 80)
    {
        var jpeg = ImageCodec.EncodeJpeg(Noise(width, height, seed: 7), 90);
        return jpeg[..(jpeg.Length * 2 / 3)];
    }

    public static double MeanAbsoluteDifference(ImageBuffer a, ImageBuffer b) =>
        a.Pixels.Zip(b.Pixels, (p, q) => Math.Abs(p - q)).Average();
}
