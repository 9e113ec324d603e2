using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// ADE20K (SceneParsing, ADEChallengeData2016/{images,annotations}/{training,validation}/&lt;id&gt;.{jpg,png}).
/// <paramref name="root"/> may be the folder holding ADEChallengeData2016 or that folder itself. Splits "train" and "val".
/// Annotations store 0 = other/unlabelled and 1..150 = classes; with "reduce zero label" 0 becomes 255 (ignore) and
/// k becomes k-1, giving 150 classes 0..149.
/// </summary>
public sealed class Ade20kReader : IDatasetReader
{
    public const int Classes = 150;

    private readonly string _dataDirectory;
    private readonly string _subdirectory;
    private readonly SkipLog _skipped;

    /// <param name="images">The largest image read; <see cref="ImageLimits.Default"/> when null.</param>
    public Ade20kReader(string root, string split, ImageLimits? images = null)
    {
        _subdirectory = split switch
        {
            "train" => "training",
            "val" => "validation",
            _ => throw new ArgumentException($"ADE20K has splits 'train' and 'val', not '{split}'.", nameof(split)),
        };
        var nested = Path.Combine(root, "ADEChallengeData2016");
        _dataDirectory = Directory.Exists(nested) ? nested : root;
        if (!Directory.Exists(Path.Combine(_dataDirectory, "images", _subdirectory)))
            throw new DirectoryNotFoundException($"No ADEChallengeData2016/images/{_subdirectory} under {root}.");
        _skipped = new SkipLog(_dataDirectory, images);
        Split = split;
    }

    public string DatasetName => "ade20k";
    public string Split { get; }
    public int ClassCount => Classes;
    public IReadOnlyList<SkippedSource> Skipped => _skipped.Entries;

    // The split's image files, listed once.
    private IReadOnlyList<string> ImagePaths => _imagePaths ??= ImageFiles.In(Path.Combine(_dataDirectory, "images", _subdirectory)).ToArray();

    private IReadOnlyList<string>? _imagePaths;

    public int SourceCount => ImagePaths.Count;

    public IEnumerable<DatasetSample> Read() => Read(0, SourceCount);

    public IEnumerable<DatasetSample> Read(int start, int count)
    {
        _skipped.Clear();
        var (first, end) = SourceRange.Clamp(start, count, ImagePaths.Count);
        foreach (var imagePath in ImagePaths.Take(end).Skip(first))
        {
            var labelPath = Path.Combine(_dataDirectory, "annotations", _subdirectory, Path.GetFileNameWithoutExtension(imagePath) + ".png");
            if (SegmentationPair.TryRead(_skipped, imagePath, labelPath, Classes, ReduceZeroLabel) is not { } pair)
                continue;
            yield return new DatasetSample(SampleKeys.FromFileName(imagePath), pair.Image, Segmentation: pair.Labels);
        }
    }

    /// <summary>0 → 255 (ignore), k → k-1; values above 150 stay out of range (255 → 254) so the check rejects them.</summary>
    public static LabelMap ReduceZeroLabel(LabelMap annotation)
    {
        var reduced = new byte[annotation.Labels.Length];
        for (var i = 0; i < reduced.Length; i++)
            reduced[i] = annotation.Labels[i] == 0 ? LabelMap.Ignore : (byte)(annotation.Labels[i] - 1);
        return new LabelMap(annotation.Width, annotation.Height, reduced);
    }
}
