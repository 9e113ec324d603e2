using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace SemanticMIM.Data.Imaging;

/// <summary>
/// Decodes any format SkiaSharp reads (JPEG, PNG, WebP, GIF, BMP…; the first frame, EXIF orientation not applied)
/// and encodes PNG and JPEG. Decoding checks the image against <see cref="ImageLimits"/> first: the file's size, then
/// the dimensions its header declares (read by <see cref="ImageHeader"/> for PNG and JPEG, by Skia's header parser for
/// the others), before any pixel buffer is allocated.
/// </summary>
public static class ImageCodec
{
    /// <summary>A file that declares more pixels than this many times its size in bytes is reported as a decompression bomb.</summary>
    public const long BombPixelsPerByte = 1000;

    /// <param name="mode">The channels wanted, or null for the image's own: grayscale if it is stored as gray, RGB otherwise.</param>
    /// <param name="limits">The largest image decoded; <see cref="ImageLimits.Default"/> when null.</param>
    /// <exception cref="CorruptImageException">The image is broken, truncated, or over the limits (its <see cref="CorruptImageException.Problem"/> says which).</exception>
    public static ImageBuffer Decode(byte[] encoded, ColorMode? mode = ColorMode.Rgb, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        limits ??= ImageLimits.Default;
        if (encoded.Length == 0)
            throw new CorruptImageException("empty image data");
        CheckBytes(encoded.Length, limits);
        if (ImageHeader.Read(encoded) is var (declaredWidth, declaredHeight))
            CheckSize(declaredWidth, declaredHeight, encoded.Length, limits);

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new CorruptImageException("unrecognised or broken image header");

        CheckSize(codec.Info.Width, codec.Info.Height, encoded.Length, limits);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        // The RGBA buffer only lives until the alpha is dropped: pooled, so decoding a stream of images does not churn the large-object heap.
        var rgba = ArrayPool<byte>.Shared.Rent(info.BytesSize);
        var pinned = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(info, pinned.AddrOfPinnedObject());
            // Skia fills the missing rows of a truncated file and reports IncompleteInput; treat that as corrupt.
            if (result != SKCodecResult.Success)
                throw result == SKCodecResult.IncompleteInput
                    ? new CorruptImageException("truncated image data", ImageProblem.Truncated)
                    : new CorruptImageException($"image data could not be decoded ({result})");

            var stored = codec.Info.ColorType is SKColorType.Gray8 or SKColorType.Alpha8 ? ColorMode.Grayscale : ColorMode.Rgb;
            var pixels = rgba.AsSpan(0, info.BytesSize);
            return (mode ?? stored) == ColorMode.Rgb ? DropAlpha(info.Width, info.Height, pixels) : ToGray(info.Width, info.Height, pixels);
        }
        finally
        {
            pinned.Free();
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    /// <summary>Refuses a file larger than the limits before it is read.</summary>
    /// <exception cref="CorruptImageException">The file is over <see cref="ImageLimits.MaxBytes"/>.</exception>
    public static void CheckBytes(long bytes, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (bytes > limits.MaxBytes)
            throw new CorruptImageException($"image file of {bytes} bytes is over the limit of {limits.MaxBytes}", ImageProblem.Oversized);
    }

    /// <summary>Refuses dimensions that are not positive or declare more pixels than the limits allow.</summary>
    /// <exception cref="CorruptImageException">Invalid, oversized, or a decompression bomb (many pixels from a tiny file).</exception>
    public static void CheckSize(long width, long height, long fileBytes, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (width <= 0 || height <= 0)
            throw new CorruptImageException($"invalid image size {width}x{height}");
        // Two 32-bit dimensions can overflow a long: their product is taken in 128 bits.
        Int128 pixels = (Int128)width * height;
        if (pixels <= limits.MaxPixels)
            return;
        bool bomb = pixels / Math.Max(1, fileBytes) > BombPixelsPerByte;
        throw new CorruptImageException(
            bomb ? $"decompression bomb: {width}x{height} pixels declared by a file of {fileBytes} bytes (limit {limits.MaxPixels} pixels)"
                 : $"image of {width}x{height} pixels is over the limit of {limits.MaxPixels}",
            bomb ? ImageProblem.DecompressionBomb : ImageProblem.Oversized);
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

    private static ImageBuffer DropAlpha(int width, int height, ReadOnlySpan<byte> rgba)
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

    private static ImageBuffer ToGray(int width, int height, ReadOnlySpan<byte> rgba)
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
