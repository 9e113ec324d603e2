using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Shards;

namespace SemanticMIM.Pipeline;

/// <summary>
/// Where a spec's data comes from and how it is sharded. <see cref="Id"/> names the shards in the store and
/// changes whenever anything that changes their content changes, so different settings never share shards.
/// </summary>
public sealed record DatasetPlan
{
    private const int DefaultSyntheticTrain = 2000;
    private const int DefaultSyntheticTest = 500;

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

    public ShardWriterOptions ShardOptions => new()
    {
        // Small grayscale or synthetic images stay lossless; photographs are re-encoded at a bounded size.
        ImageFormat = Spec.Kind is DatasetKind.FashionMnist or DatasetKind.SyntheticScenes ? ShardImageFormat.Png : ShardImageFormat.Jpeg,
        MaxShorterSide = Spec.Kind == DatasetKind.ImageNet ? Spec.ImageSize * 8 / 7 : null,
        MaxSamplesPerShard = Spec.ShardSize,
    };

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

    /// <summary>A reader of <paramref name="split"/>, limited to the spec's sample cap for that split.</summary>
    public IDatasetReader CreateReader(string split)
    {
        bool isTrain = split == TrainSplit;
        int cap = isTrain ? Spec.MaxTrainSamples : Spec.MaxTestSamples;
        IDatasetReader reader = Spec.Kind switch
        {
            DatasetKind.FashionMnist => new FashionMnistReader(split, Spec.Source.Length == 0 ? FashionMnistReader.DebianDirectory : Spec.Source),
            DatasetKind.ImageNet => new ImageNetFolderReader(Spec.Source, split),
            DatasetKind.PascalVoc => new PascalVocReader(Spec.Source, split),
            DatasetKind.Ade20k => new Ade20kReader(Spec.Source, split),
            DatasetKind.SyntheticScenes => new SyntheticScenes(isTrain ? 1 : 2, cap > 0 ? cap : isTrain ? DefaultSyntheticTrain : DefaultSyntheticTest,
                split, Spec.ImageSize, Spec.ImageSize),
            _ => throw new InvalidOperationException($"unknown data set kind {Spec.Kind}"),
        };
        return cap > 0 ? new FirstSourcesReader(reader, cap) : reader;
    }
}
