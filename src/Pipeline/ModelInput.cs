using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Data.Views;
using SemanticMIM.Evaluation;
using SemanticMIM.Planning;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline;

/// <summary>
/// The one place that turns stored images into model input, shared by the target stage, the trainer's loader
/// and the evaluations, so targets are always computed from exactly the pixels the model sees.
/// </summary>
public static class ModelInput
{
    public static ImageBuffer Decode(ShardSample sample, DatasetPlan dataset) =>
        ImageCodec.Decode(sample.ImageBytes, dataset.Channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb);

    /// <summary>A recorded training view at the model's input size (bicubic, as the spec's RandomResizedCrop).</summary>
    public static ImageBuffer RenderView(ImageBuffer image, CropView view, int size) =>
        ViewRenderer.Render(image, view, size, ResizeFilter.Bicubic);

    /// <summary>The evaluation view: the central square of the image at the model's input size.</summary>
    public static ImageBuffer CenterView(ImageBuffer image, int size)
    {
        int side = Math.Min(image.Width, image.Height);
        var center = new CropView((image.Width - side) / 2, (image.Height - side) / 2, side, side, false);
        return RenderView(image, center, size);
    }

    /// <summary>The label map of <see cref="CenterView"/>: the same central square, nearest-neighbour resized.</summary>
    public static LabelMap CenterLabels(LabelMap labels, int size)
    {
        int side = Math.Min(labels.Width, labels.Height);
        return CropLabels(labels, (labels.Width - side) / 2, (labels.Height - side) / 2, side, side).ResizeNearest(size, size);
    }

    /// <summary>The whole image resized to size², as the VOC probe's evaluation does (the aspect ratio is not kept).</summary>
    public static ImageBuffer SquashedView(ImageBuffer image, int size) => ImageResizer.Resize(image, size, size, ResizeFilter.Bilinear);

    /// <summary>The label map of <see cref="SquashedView"/>, nearest-neighbour resized.</summary>
    public static LabelMap SquashedLabels(LabelMap labels, int size) => labels.ResizeNearest(size, size);

    /// <summary>
    /// The central 4:3 landscape window of the image (the largest that fits), resized to height
    /// <paramref name="height"/>: ADE20K's typical shape, so every image of a split has one size and sliding-window
    /// inference runs over more than one window.
    /// </summary>
    public static ImageBuffer LandscapeView(ImageBuffer image, int height)
    {
        var (left, top, width, windowHeight) = LandscapeWindow(image.Width, image.Height);
        var window = new byte[width * windowHeight * image.Channels];
        int rowBytes = width * image.Channels;
        for (int y = 0; y < windowHeight; y++)
        {
            Array.Copy(image.Pixels, ((top + y) * image.Width + left) * image.Channels, window, y * rowBytes, rowBytes);
        }
        return ImageResizer.Resize(new ImageBuffer(width, windowHeight, image.Channels, window), LandscapeWidth(height), height, ResizeFilter.Bilinear);
    }

    /// <summary>The label map of <see cref="LandscapeView"/>, nearest-neighbour resized.</summary>
    public static LabelMap LandscapeLabels(LabelMap labels, int height)
    {
        var (left, top, width, windowHeight) = LandscapeWindow(labels.Width, labels.Height);
        return CropLabels(labels, left, top, width, windowHeight).ResizeNearest(LandscapeWidth(height), height);
    }

    public static int LandscapeWidth(int height) => (int)Math.Round(height * 4 / 3.0, MidpointRounding.AwayFromZero);

    private static (int Left, int Top, int Width, int Height) LandscapeWindow(int width, int height)
    {
        int windowWidth = Math.Min(width, (int)Math.Round(height * 4 / 3.0));
        int windowHeight = Math.Min(height, (int)Math.Round(windowWidth * 3 / 4.0));
        return ((width - windowWidth) / 2, (height - windowHeight) / 2, windowWidth, windowHeight);
    }

    private static LabelMap CropLabels(LabelMap labels, int left, int top, int width, int height)
    {
        var window = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            Array.Copy(labels.Labels, (top + y) * labels.Width + left, window, y * width, width);
        }
        return new LabelMap(width, height, window);
    }

    /// <summary>Float images (B, C, H, W) in [0, 1], for protocols that augment before normalising.</summary>
    public static Tensor UnitRange(IReadOnlyList<ImageBuffer> images) =>
        BatchTensors.Images(images);

    /// <summary>[0, 1] images (B, C, H, W) normalised with the data set's statistics, as <see cref="Normalized"/>.</summary>
    public static Tensor Normalize(Tensor unitImages, DatasetPlan dataset) =>
        ImageNormalization.Normalize(unitImages, dataset.Mean, dataset.Std);

    /// <summary>One image as <see cref="Normalized"/> writes it, into its (C, H, W) slice of a batch's values.</summary>
    public static void WriteNormalized(ImageBuffer image, DatasetPlan dataset, Span<float> destination) =>
        BatchTensors.WritePlanes(image, dataset.Mean, dataset.Std, destination);

    /// <summary>Normalised float input (B, C, H, W) with the data set's statistics.</summary>
    public static Tensor Normalized(IReadOnlyList<ImageBuffer> images, DatasetPlan dataset) =>
        BatchTensors.Images(images, dataset.Mean, dataset.Std);
}
