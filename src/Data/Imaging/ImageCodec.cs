using SkiaSharp;

namespace SemanticMIM.Data.Imaging;

/// <summary>
/// Decodes any format SkiaSharp reads (JPEG, PNG, WebP, GIF, BMP…; the first frame, EXIF orientation not applied)
/// and encodes PNG and JPEG.
/// </summary>
public static class ImageCodec
{
    /// <param name="mode">The channels wanted, or null for the image's own: grayscale if it is stored as gray, RGB otherwise.</param>
    public static ImageBuffer Decode(byte[] encoded, ColorMode? mode = ColorMode.Rgb)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.Length == 0)
            throw new CorruptImageException("empty image data");

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new CorruptImageException("unrecognised or broken image header");

        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width <= 0 || info.Height <= 0)
            throw new CorruptImageException($"invalid image size {info.Width}x{info.Height}");
        var rgba = new byte[info.BytesSize];
        var result = codec.GetPixels(info, rgba);
        // Skia fills the missing rows of a truncated file and reports IncompleteInput; treat that as corrupt.
        if (result != SKCodecResult.Success)
            throw new CorruptImageException(result == SKCodecResult.IncompleteInput
                ? "truncated image data"
                : $"image data could not be decoded ({result})");

        var stored = codec.Info.ColorType is SKColorType.Gray8 or SKColorType.Alpha8 ? ColorMode.Grayscale : ColorMode.Rgb;
        return (mode ?? stored) == ColorMode.Rgb ? DropAlpha(info.Width, info.Height, rgba) : ToGray(info.Width, info.Height, rgba);
    }

    public static byte[] EncodePng(ImageBuffer image) => Encode(image, SKEncodedImageFormat.Png, 100);

    public static byte[] EncodeJpeg(ImageBuffer image, int quality = 90)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        return Encode(image, SKEncodedImageFormat.Jpeg, quality);
    }

    private static byte[] Encode(ImageBuffer image, SKEncodedImageFormat format, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (colorType, pixels) = image.Channels == 1
            ? (SKColorType.Gray8, image.Pixels)
            : (SKColorType.Rgba8888, AddOpaqueAlpha(image));
        var info = new SKImageInfo(image.Width, image.Height, colorType, SKAlphaType.Opaque);
        using var skImage = SKImage.FromPixelCopy(info, pixels)
            ?? throw new InvalidOperationException("SkiaSharp could not wrap the pixels.");
        using var encoded = skImage.Encode(format, quality)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}.");
        return encoded.ToArray();
    }

    private static ImageBuffer DropAlpha(int width, int height, byte[] rgba)
    {
        var rgb = new byte[width * height * 3];
        for (int source = 0, target = 0; target < rgb.Length; source += 4, target += 3)
        {
            rgb[target] = rgba[source];
            rgb[target + 1] = rgba[source + 1];
            rgb[target + 2] = rgba[source + 2];
        }
        return new ImageBuffer(width, height, 3, rgb);
    }

    private static ImageBuffer ToGray(int width, int height, byte[] rgba)
    {
        var gray = new byte[width * height];
        for (int source = 0, target = 0; target < gray.Length; source += 4, target++)
            gray[target] = Luma.FromRgb(rgba[source], rgba[source + 1], rgba[source + 2]);
        return new ImageBuffer(width, height, 1, gray);
    }

    private static byte[] AddOpaqueAlpha(ImageBuffer image)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        var rgb = image.Pixels;
        for (int source = 0, target = 0; source < rgb.Length; source += 3, target += 4)
        {
            rgba[target] = rgb[source];
            rgba[target + 1] = rgb[source + 1];
            rgba[target + 2] = rgb[source + 2];
            rgba[target + 3] = 255;
        }
        return rgba;
    }
}
