namespace SemanticMIM.Data.Imaging;

/// <summary>ITU-R BT.601 luma, the grayscale conversion PIL and libjpeg use.</summary>
public static class Luma
{
    public static byte FromRgb(byte red, byte green, byte blue) =>
        (byte)((red * 299 + green * 587 + blue * 114 + 500) / 1000);

    public static ImageBuffer ToGrayscale(ImageBuffer image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels == 1)
            return image;
        var gray = new byte[image.Width * image.Height];
        var rgb = image.Pixels;
        for (var i = 0; i < gray.Length; i++)
            gray[i] = FromRgb(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        return new ImageBuffer(image.Width, image.Height, 1, gray);
    }
}
