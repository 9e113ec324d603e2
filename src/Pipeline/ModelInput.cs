using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Data.Views;
using SemanticMIM.Evaluation;
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
        int left = (labels.Width - side) / 2, top = (labels.Height - side) / 2;
        var square = new byte[side * side];
        for (int y = 0; y < side; y++)
        {
            Array.Copy(labels.Labels, (top + y) * labels.Width + left, square, y * side, side);
        }
        return new LabelMap(side, side, square).ResizeNearest(size, size);
    }

    /// <summary>Float images (B, C, H, W) in [0, 1], for protocols that augment before normalising.</summary>
    public static Tensor UnitRange(IReadOnlyList<ImageBuffer> images) =>
        BatchTensors.Images(images);

    /// <summary>[0, 1] images (B, C, H, W) normalised with the data set's statistics, as <see cref="Normalized"/>.</summary>
    public static Tensor Normalize(Tensor unitImages, DatasetPlan dataset) =>
        ImageNormalization.Normalize(unitImages, dataset.Mean, dataset.Std);

    /// <summary>Normalised float input (B, C, H, W) with the data set's statistics.</summary>
    public static Tensor Normalized(IReadOnlyList<ImageBuffer> images, DatasetPlan dataset) =>
        BatchTensors.Images(images, dataset.Mean, dataset.Std);
}
