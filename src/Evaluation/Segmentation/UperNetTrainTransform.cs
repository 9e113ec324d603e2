using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// The ADE20K training pipeline of spec (f) for one sample: random keep-ratio resize to (LongEdgeFactor·crop, crop)
/// times U(0.5, 2), class-balanced random crop, horizontal flip, photometric distortion, then the normalisation and
/// padding to the crop that mmseg's data preprocessor adds. Every random choice comes from the given generator.
/// </summary>
public sealed class UperNetTrainTransform
{
    private readonly UperNetRecipe _recipe;
    private readonly IReadOnlyList<double> _mean;
    private readonly IReadOnlyList<double> _std;

    public UperNetTrainTransform(UperNetRecipe recipe, IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        _recipe = recipe;
        _mean = mean;
        _std = std;
    }

    /// <summary>
    /// A [0, 1] image (C, H, W) and its prepared int64 labels (H, W) (<see cref="SegmentationAugmentation.PrepareLabels"/>)
    /// → a normalised (C, crop, crop) image and (crop, crop) labels, padding labelled 255.
    /// </summary>
    public (Tensor Image, Tensor Labels) Apply(Tensor image, Tensor labels, Random random)
    {
        using var scope = torch.NewDisposeScope();
        int crop = _recipe.CropSize;
        var (longEdge, shortEdge) = SegmentationAugmentation.RandomScale(_recipe, random);
        var (height, width) = SegmentationAugmentation.KeepRatioSize((int)image.shape[1], (int)image.shape[2], longEdge, shortEdge);
        var resizedImage = SegmentationAugmentation.ResizeImage(image, height, width);
        var resizedLabels = SegmentationAugmentation.ResizeLabels(labels, height, width);
        var (top, left) = SegmentationAugmentation.ChooseCrop(resizedLabels, crop, _recipe.CatMaxRatio, random);
        var croppedImage = SegmentationAugmentation.Crop(resizedImage, top, left, crop);
        var croppedLabels = SegmentationAugmentation.Crop(resizedLabels, top, left, crop);
        if (random.NextDouble() < _recipe.FlipProbability)
        {
            croppedImage = croppedImage.flip(-1);
            croppedLabels = croppedLabels.flip(-1);
        }
        var distorted = PhotometricDistortion.Apply(croppedImage, PhotometricDistortion.Draw(_recipe, image.shape[0], random));
        var normalised = ImageNormalization.Normalize(distorted, _mean, _std);
        var (paddedImage, paddedLabels) = SegmentationAugmentation.PadToCrop(normalised, croppedLabels, crop);
        return (paddedImage.MoveToOuterDisposeScope(), paddedLabels.MoveToOuterDisposeScope());
    }
}
