using SemanticMIM.Evaluation.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// The data side of a recipe, in the official pipelines' order: RandomResizedCrop + flip, RandAugment (fill = the
/// mean colour), colour jitter, normalisation, RandomErasing, then Mixup/CutMix on the batch; targets are soft
/// (B, K) rows with the label smoothing folded in. The test side is the resize + centre crop view, normalised.
/// </summary>
public sealed class FineTuneAugmentation
{
    private readonly IReadOnlyList<float> _mean;
    private readonly IReadOnlyList<float> _std;
    private readonly ClassificationViews _views;
    private readonly RandAugment? _randAugment;
    private readonly ColorJitter? _colorJitter;
    private readonly RandomErasing? _randomErasing;
    private readonly MixupCutmix? _mixupCutmix;
    private readonly double _labelSmoothing;
    private readonly int _numClasses;

    public FineTuneAugmentation(FineTuneRecipe recipe, IReadOnlyList<float> mean, IReadOnlyList<float> std, int numClasses)
    {
        recipe.EnsureValid();
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 2);
        _mean = mean;
        _std = std;
        _numClasses = numClasses;
        _labelSmoothing = recipe.LabelSmoothing;
        _views = new ClassificationViews(minScale: recipe.MinScale);
        _randAugment = recipe.RandAugment ? new RandAugment(fill: mean) : null;
        _colorJitter = recipe.ColorJitter > 0 ? new ColorJitter(recipe.ColorJitter, recipe.ColorJitter, recipe.ColorJitter) : null;
        _randomErasing = recipe.RandomErasing > 0 ? new RandomErasing(recipe.RandomErasing) : null;
        _mixupCutmix = recipe.Mixup > 0 || recipe.CutMix > 0
            ? new MixupCutmix(numClasses, recipe.Mixup, recipe.CutMix, labelSmoothing: recipe.LabelSmoothing)
            : null;
    }

    /// <summary>Normalised augmented images (B, C, size, size) and soft targets (B, K) for images in [0, 1] and int labels.</summary>
    public (Tensor Images, Tensor Targets) TrainingBatch(Tensor images, Tensor labels, int size, torch.Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var views = _views.Train(images, size, generator);
        if (_randAugment is not null)
        {
            views = _randAugment.Apply(views, generator);
        }
        if (_colorJitter is not null)
        {
            views = _colorJitter.Apply(views, generator);
        }
        var normalised = ImageNormalization.Normalize(views, _mean, _std);
        if (_randomErasing is not null)
        {
            normalised = _randomErasing.Apply(normalised, generator);
        }
        var longLabels = labels.to(ScalarType.Int64);
        if (_mixupCutmix is null)
        {
            var targets = MixupCutmix.SoftTargets(longLabels, _numClasses, 1, _labelSmoothing);
            return (normalised.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
        }
        var mixed = _mixupCutmix.Apply(normalised, longLabels, generator);
        return (mixed.Images.MoveToOuterDisposeScope(), mixed.Targets.MoveToOuterDisposeScope());
    }

    /// <summary>The normalised test view (B, C, size, size) of images in [0, 1].</summary>
    public Tensor TestBatch(Tensor images, int size)
    {
        using var view = ClassificationViews.Test(images, size);
        return ImageNormalization.Normalize(view, _mean, _std);
    }
}
