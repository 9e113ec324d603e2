using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Planning;

namespace SemanticMIM.Pipeline;

/// <summary>Where a planned data set's images come from, and how they are written into shards.</summary>
public static class DatasetSources
{
    private const int DefaultSyntheticTrain = 2000;
    private const int DefaultSyntheticTest = 500;

    /// <summary>A reader of <paramref name="split"/>, limited to the spec's sample cap for that split.</summary>
    /// <param name="images">The largest source image decoded (the service's setting); <see cref="ImageLimits.Default"/> when null.</param>
    public static IDatasetReader CreateReader(this DatasetPlan dataset, string split, ImageLimits? images = null)
    {
        var spec = dataset.Spec;
        bool isTrain = split == dataset.TrainSplit;
        int cap = isTrain ? spec.MaxTrainSamples : spec.MaxTestSamples;
        IDatasetReader reader = spec.Kind switch
        {
            DatasetKind.FashionMnist => new FashionMnistReader(split, spec.Source.Length == 0 ? FashionMnistReader.DebianDirectory : spec.Source),
            DatasetKind.ImageNet => new ImageNetFolderReader(spec.Source, split, images: images),
            DatasetKind.PascalVoc => new PascalVocReader(spec.Source, split, images),
            DatasetKind.Ade20k => new Ade20kReader(spec.Source, split, images),
            DatasetKind.SyntheticScenes => new SyntheticScenes(isTrain ? 1 : 2, cap > 0 ? cap : isTrain ? DefaultSyntheticTrain : DefaultSyntheticTest,
                split, spec.ImageSize, spec.ImageSize),
            _ => throw new InvalidOperationException($"unknown data set kind {spec.Kind}"),
        };
        return cap > 0 ? new FirstSourcesReader(reader, cap) : reader;
    }

    public static ShardWriterOptions ShardOptions(this DatasetPlan dataset) => new()
    {
        // Small grayscale or synthetic images stay lossless; photographs are re-encoded at a bounded size.
        ImageFormat = dataset.Spec.Kind is DatasetKind.FashionMnist or DatasetKind.SyntheticScenes ? ShardImageFormat.Png : ShardImageFormat.Jpeg,
        MaxShorterSide = dataset.Spec.Kind == DatasetKind.ImageNet ? dataset.Spec.ImageSize * 8 / 7 : null,
        MaxSamplesPerShard = dataset.Spec.ShardSize,
    };
}
