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
        return ImageResizer.ResizeRegion(image, view.Left, view.Top, view.Width, view.Height, view.Flip, outputSize, outputSize, filter);
    }
}
