using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Planning;

/// <summary>
/// What the target stage computes for every training sample: <see cref="Views"/> recorded augmentations and,
/// per view, HOG features of the model input or the tokenizer's ids of the second view (spec (c)).
/// </summary>
public sealed record TargetPlan
{
    /// <summary>
    /// The stored target files' format (ShardTargets). Part of every target id, so a store written in an older format
    /// is recomputed under a new id instead of being read or rejected. 2: HOG as bytes, token ids as int16, compressed.
    /// </summary>
    public const int FormatVersion = 2;

    public required TargetSpec Spec { get; init; }

    /// <summary>Names the target files in the store; covers every setting that changes them.</summary>
    public required string Id { get; init; }

    public required ViewAugmentation Augmentation { get; init; }

    public required int ImageSize { get; init; }

    public required int Channels { get; init; }

    public required int GridSize { get; init; }

    public HogConfig? Hog { get; init; }

    /// <summary>Names the tokenizer in the store (VQ tokenizers trained here), or null for HOG and DALL-E.</summary>
    public string? TokenizerId { get; init; }

    public int Views => Spec.Views;

    public bool IsHog => Spec.Kind == TargetKindSpec.Hog;

    public HogStorage HogStorage => Spec.HogStorage;

    /// <summary>The tokenizer's input side: 8× the patch grid (8 × 14 = 112 at ViT-B/16, 56 for 28/4).</summary>
    public int TokenizerInputSize => 8 * GridSize;

    /// <summary>Codebook size the BEiT head predicts.</summary>
    public int VocabSize => Spec.Tokenizer == TokenizerKind.Dalle ? new DalleEncoderConfig().VocabSize : Spec.VocabSize;

    /// <summary>
    /// The seed of the recorded views and the VQ tokenizer: <c>augmentation.seed</c>, else <c>training.seed</c> (as before
    /// the two were apart, so the ids of such specs are unchanged). Only this seed enters the target and tokenizer ids.
    /// </summary>
    public static int ViewSeed(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Augmentation.Seed ?? spec.Training.Seed;
    }

    public static TargetPlan From(ExperimentSpec spec, DatasetPlan dataset, MimModelConfig model)
    {
        var sampler = new ViewAugmentation(spec.Augmentation.MinScale, spec.Augmentation.MaxScale, spec.Augmentation.Flip, ViewSeed(spec));
        var encoder = model.Encoder;
        string views = ContentHash.Of(dataset.Id, spec.Target.Views, sampler.MinScale, sampler.MaxScale, sampler.Flip, sampler.Seed, encoder.ImageSize);
        if (spec.Target.Kind == TargetKindSpec.Hog)
        {
            var hog = model.HogOrDefault;
            return new TargetPlan
            {
                Spec = spec.Target,
                Id = $"hog-{ContentHash.Of([views, hog.NumBins, hog.CellSize, hog.GaussianWindow, hog.PatchSize, dataset.Mean[0], dataset.Std[0], FormatVersion,
                    // The default storage adds nothing to the hash, so the ids of stores written before the choice existed stand.
                    .. spec.Target.HogStorage == HogStorage.Uint8 ? Array.Empty<object>() : [spec.Target.HogStorage]])}",
                Augmentation = sampler,
                ImageSize = encoder.ImageSize,
                Channels = encoder.InChannels,
                GridSize = encoder.GridSize,
                Hog = hog,
            };
        }
        bool dalle = spec.Target.Tokenizer == TokenizerKind.Dalle;
        string tokenizer = dalle
            ? $"dalle-{ContentHash.Of(Path.GetFullPath(spec.Target.DalleWeights))}"
            : $"vq{spec.Target.VocabSize}-{ContentHash.Of(dataset.Id, spec.Target.VocabSize, spec.Target.TokenizerSteps, encoder.GridSize, encoder.InChannels, ViewSeed(spec))}";
        return new TargetPlan
        {
            Spec = spec.Target,
            Id = $"tokens-{ContentHash.Of(views, tokenizer, FormatVersion)}",
            Augmentation = sampler,
            ImageSize = encoder.ImageSize,
            Channels = encoder.InChannels,
            GridSize = encoder.GridSize,
            TokenizerId = dalle ? null : tokenizer,
        };
    }
}
