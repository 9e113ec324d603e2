using SemanticMIM.Evaluation.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// The VOC probe's training views (spec (f)): RandomResizedCrop to the input size with scale (0.8, 1) and ratio
/// (3/4, 4/3), bilinear for the image and nearest for the label map, then a horizontal flip with probability 0.5,
/// the same crop and flip for both. The crop box is <see cref="ClassificationViews.SampleCrop"/>'s (torchvision's).
/// </summary>
public static class SegmentationViews
{
    /// <summary>Views of images (B, C, H, W) and labels (B, H, W) at <paramref name="size"/>²: (B, C, s, s) and (B, s, s).</summary>
    public static (Tensor Images, Tensor Labels) RandomResizedCrop(
        Tensor images, Tensor labels, int size, double minScale, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long count = images.shape[0];
        int height = (int)images.shape[2];
        int width = (int)images.shape[3];
        var viewImages = new Tensor[count];
        var viewLabels = new Tensor[count];
        var crops = new ClassificationViews(minScale, 1.0);
        for (long i = 0; i < count; i++)
        {
            var (top, left, boxHeight, boxWidth) = crops.SampleCrop(height, width, generator);
            var image = images[i].narrow(1, top, boxHeight).narrow(2, left, boxWidth).unsqueeze(0);
            var label = labels[i].narrow(0, top, boxHeight).narrow(1, left, boxWidth).unsqueeze(0).unsqueeze(0);
            image = nn.functional.interpolate(image, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
            label = nn.functional.interpolate(label.to(ScalarType.Float32), [size, size], mode: InterpolationMode.Nearest)
                .to(labels.dtype);
            if (generator.Uniform() < 0.5)
            {
                image = image.flip(3);
                label = label.flip(3);
            }
            viewImages[i] = image;
            viewLabels[i] = label[.., 0];
        }
        return (torch.cat(viewImages, 0).MoveToOuterDisposeScope(), torch.cat(viewLabels, 0).MoveToOuterDisposeScope());
    }
}
