using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// Fashion-MNIST from its four IDX files, gzip-compressed (as Debian's dataset-fashion-mnist installs them) or not.
/// Splits: "train" (60 000) and "test" (10 000, the t10k files). Images are 28×28 grayscale; keys are
/// "fashion_mnist_{split}_{index:D5}".
/// </summary>
public sealed class FashionMnistReader : IDatasetReader
{
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";
    public const int ImageSize = 28;

    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly string _imagesPath;
    private readonly string _labelsPath;

    public FashionMnistReader(string split, string directory = DebianDirectory)
    {
        var prefix = split switch
        {
            "train" => "train",
            "test" => "t10k",
            _ => throw new ArgumentException($"Fashion-MNIST has splits 'train' and 'test', not '{split}'.", nameof(split)),
        };
        Split = split;
        _imagesPath = Locate(directory, $"{prefix}-images-idx3-ubyte");
        _labelsPath = Locate(directory, $"{prefix}-labels-idx1-ubyte");
    }

    public string DatasetName => "fashion-mnist";
    public string Split { get; }
    public int ClassCount => ClassNames.Count;
    public IReadOnlyList<SkippedSource> Skipped => [];

    /// <summary>The sample count from the headers, after checking that images and labels agree.</summary>
    public int Count
    {
        get
        {
            using var images = OpenImages();
            using var labels = OpenLabels(images.Count);
            return images.Count;
        }
    }

    public int SourceCount => Count;

    public IEnumerable<DatasetSample> Read() => Read(0, SourceCount);

    public IEnumerable<DatasetSample> Read(int start, int count)
    {
        using var images = OpenImages();
        using var labels = OpenLabels(images.Count);
        var label = new byte[1];
        var (first, end) = SourceRange.Clamp(start, count, images.Count);
        images.SkipItems(first);
        labels.SkipItems(first);
        for (var index = first; index < end; index++)
        {
            var pixels = new byte[ImageSize * ImageSize];
            images.ReadItem(pixels, index);
            labels.ReadItem(label, index);
            if (label[0] >= ClassCount)
                throw new InvalidDataException($"{_labelsPath}: label {label[0]} of item {index} is not below {ClassCount}.");
            yield return new DatasetSample($"fashion_mnist_{Split}_{index:D5}", new ImageBuffer(ImageSize, ImageSize, 1, pixels), label[0]);
        }
    }

    private IdxFile OpenImages()
    {
        var images = IdxFile.Open(_imagesPath, expectedDimensions: 3);
        if (images.Dimensions[1] != ImageSize || images.Dimensions[2] != ImageSize)
        {
            images.Dispose();
            throw new InvalidDataException($"{_imagesPath}: images are {images.Dimensions[1]}x{images.Dimensions[2]}, not {ImageSize}x{ImageSize}.");
        }
        return images;
    }

    private IdxFile OpenLabels(int imageCount)
    {
        var labels = IdxFile.Open(_labelsPath, expectedDimensions: 1);
        if (labels.Count != imageCount)
        {
            labels.Dispose();
            throw new InvalidDataException($"{_labelsPath} holds {labels.Count} labels but {_imagesPath} holds {imageCount} images.");
        }
        return labels;
    }

    private static string Locate(string directory, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            var path = System.IO.Path.Combine(directory, candidate);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException(
            $"Fashion-MNIST file {name}(.gz) not found in {directory} (on Debian: apt-get install dataset-fashion-mnist).",
            System.IO.Path.Combine(directory, name + ".gz"));
    }
}
