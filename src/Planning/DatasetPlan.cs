using SemanticMIM.Contracts.Specs;

namespace SemanticMIM.Planning;

/// <summary>
/// Where a spec's data comes from and how it is sharded. <see cref="Id"/> names the shards in the store and
/// changes whenever anything that changes their content changes, so different settings never share shards.
/// </summary>
public sealed record DatasetPlan
{
    public required DatasetSpec Spec { get; init; }

    public required string Id { get; init; }

    /// <summary>The split pretraining and the probes' training use.</summary>
    public required string TrainSplit { get; init; }

    /// <summary>The split the probes are scored on.</summary>
    public required string EvaluationSplit { get; init; }

    /// <summary>Per-channel statistics the model input is normalised with.</summary>
    public required float[] Mean { get; init; }

    public required float[] Std { get; init; }

    public int ImageSize => Spec.ImageSize;

    public int Channels => Spec.Channels;

    public bool HasSegmentation => Spec.Kind is DatasetKind.SyntheticScenes or DatasetKind.PascalVoc or DatasetKind.Ade20k;

    public static DatasetPlan From(DatasetSpec spec)
    {
        var (name, train, evaluation) = spec.Kind switch
        {
            DatasetKind.FashionMnist => ("fashion-mnist", "train", "test"),
            DatasetKind.ImageNet => ("imagenet", "train", "val"),
            DatasetKind.PascalVoc => ("pascal-voc", "train", "val"),
            DatasetKind.Ade20k => ("ade20k", "train", "val"),
            DatasetKind.SyntheticScenes => ("synthetic-scenes", "train", "test"),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown data set kind"),
        };
        string source = spec.Source.Length == 0 ? "" : Path.GetFullPath(spec.Source);
        string fingerprint = ContentHash.Of(spec.Kind, source, spec.ImageSize, spec.Channels, spec.MaxTrainSamples, spec.MaxTestSamples, spec.ShardSize);
        bool grayscale = spec.Channels == 1;
        return new DatasetPlan
        {
            Spec = spec,
            Id = $"{name}-{fingerprint}",
            TrainSplit = train,
            EvaluationSplit = evaluation,
            // One channel: Fashion-MNIST's own statistics; three: ImageNet's, as pretrained ViTs expect.
            Mean = grayscale ? [0.2860f] : [0.485f, 0.456f, 0.406f],
            Std = grayscale ? [0.3530f] : [0.229f, 0.224f, 0.225f],
        };
    }
}
