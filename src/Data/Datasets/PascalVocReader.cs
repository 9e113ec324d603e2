using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// PascalVOC 2012 semantic segmentation: VOCdevkit/VOC2012/{JPEGImages/&lt;id&gt;.jpg, SegmentationClass/&lt;id&gt;.png,
/// ImageSets/Segmentation/&lt;split&gt;.txt}. <paramref name="root"/> may be the folder holding VOCdevkit or VOC2012 itself.
/// Splits "train", "val", "trainval". Labels are the palette indices: 0 background, 1..20 classes, 255 boundary/ignore (kept).
/// </summary>
public sealed class PascalVocReader : IDatasetReader
{
    public const int Classes = 21;

    public static readonly IReadOnlyList<string> ClassNames =
    [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    private readonly string _vocDirectory;
    private readonly SkipLog _skipped;

    /// <param name="images">The largest image read; <see cref="ImageLimits.Default"/> when null.</param>
    public PascalVocReader(string root, string split, ImageLimits? images = null)
    {
        if (split is not ("train" or "val" or "trainval"))
            throw new ArgumentException($"PascalVOC segmentation has splits 'train', 'val' and 'trainval', not '{split}'.", nameof(split));
        var nested = Path.Combine(root, "VOCdevkit", "VOC2012");
        _vocDirectory = Directory.Exists(nested) ? nested : root;
        if (!Directory.Exists(Path.Combine(_vocDirectory, "JPEGImages")))
            throw new DirectoryNotFoundException($"No VOCdevkit/VOC2012/JPEGImages under {root}.");
        _skipped = new SkipLog(_vocDirectory, images);
        Split = split;
    }

    public string DatasetName => "pascal-voc-2012";
    public string Split { get; }
    public int ClassCount => Classes;
    public IReadOnlyList<SkippedSource> Skipped => _skipped.Entries;

    // The split list's ids, read once.
    private IReadOnlyList<string> Ids => _ids ??= ReadIds();

    private IReadOnlyList<string>? _ids;

    private IReadOnlyList<string> ReadIds()
    {
        var listPath = Path.Combine(_vocDirectory, "ImageSets", "Segmentation", Split + ".txt");
        if (!File.Exists(listPath))
            throw new FileNotFoundException($"PascalVOC split list {listPath} does not exist.", listPath);
        return File.ReadLines(listPath).Select(line => line.Trim()).Where(line => line.Length > 0).ToArray();
    }

    public int SourceCount => Ids.Count;

    public IEnumerable<DatasetSample> Read() => Read(0, SourceCount);

    public IEnumerable<DatasetSample> Read(int start, int count)
    {
        _skipped.Clear();
        var (first, end) = SourceRange.Clamp(start, count, Ids.Count);
        foreach (var id in Ids.Take(end).Skip(first))
        {
            var imagePath = Path.Combine(_vocDirectory, "JPEGImages", id + ".jpg");
            var labelPath = Path.Combine(_vocDirectory, "SegmentationClass", id + ".png");
            if (SegmentationPair.TryRead(_skipped, imagePath, labelPath, Classes, indices => indices) is not { } pair)
                continue;
            yield return new DatasetSample(SampleKeys.FromFileName(id), pair.Image, Segmentation: pair.Labels);
        }
    }
}
