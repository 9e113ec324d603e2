using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Views;

/// <summary>Renders a recorded view: crop the box, mirror it if asked, resample it to a square output.</summary>
public static class ViewRenderer
{
    public static ImageBuffer Render(ImageBuffer image, CropView view, int outputSize, ResizeFilter filter = ResizeFilter.Bicubic)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        view.EnsureInside(image.Width, image.Height);
        int channels = image.Channels;
        var pixels = new byte[view.Width * view.Height * channels];
        for (int y = 0; y < view.Height; y++)
        {
            int sourceRow = ((view.Top + y) * image.Width + view.Left) * channels;
            int targetRow = y * view.Width * channels;
            if (!view.Flip)
            {
                Array.Copy(image.Pixels, sourceRow, pixels, targetRow, view.Width * channels);
                continue;
            }
            for (int x = 0; x < view.Width; x++)
            {
                Array.Copy(image.Pixels, sourceRow + (view.Width - 1 - x) * channels, pixels, targetRow + x * channels, channels);
            }
        }
        var crop = new ImageBuffer(view.Width, view.Height, channels, pixels);
        return ImageResizer.Resize(crop, outputSize, outputSize, filter);
    }
}
