using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// ImageNet in its folder layout. Classes are the sorted WordNet ids (wnids) of the folders in train/ (or, without
/// train/, of val/, or of the label list). Splits:
/// "train": train/&lt;wnid&gt;/*.JPEG;
/// "val": either val/&lt;wnid&gt;/*.JPEG, or flat val/*.JPEG plus a label list (default &lt;root&gt;/val_labels.txt) with
/// one "filename label" per line, where label is a wnid or a 0-based index into the sorted wnids (not the 1-based
/// ILSVRC2012 devkit ids); blank lines and lines starting with '#' are ignored.
/// Unreadable images and flat val images missing from the list are skipped and recorded in <see cref="Skipped"/>.
/// </summary>
public sealed class ImageNetFolderReader : IDatasetReader
{
    public const string DefaultValidationLabelsFile = "val_labels.txt";

    private readonly string _root;
    private readonly string? _validationLabelsPath;
    private readonly SkipLog _skipped;
    private readonly Dictionary<string, int> _classIndex;

    /// <param name="images">The largest image read; <see cref="ImageLimits.Default"/> when null.</param>
    public ImageNetFolderReader(string root, string split, string? validationLabelsPath = null, ImageLimits? images = null)
    {
        if (split is not ("train" or "val"))
            throw new ArgumentException($"ImageNet has splits 'train' and 'val', not '{split}'.", nameof(split));
        var splitDirectory = Path.Combine(root, split);
        if (!Directory.Exists(splitDirectory))
            throw new DirectoryNotFoundException($"ImageNet split directory {splitDirectory} does not exist.");
        _root = root;
        _skipped = new SkipLog(root, images);
        Split = split;
        _validationLabelsPath = validationLabelsPath;
        Classes = DiscoverClasses();
        if (Classes.Count == 0)
            throw new InvalidDataException($"No ImageNet classes found under {root} (expected train/<wnid>/ folders).");
        _classIndex = Classes.Select((wnid, index) => (wnid, index)).ToDictionary(p => p.wnid, p => p.index, StringComparer.Ordinal);
    }

    public string DatasetName => "imagenet";
    public string Split { get; }
    public int ClassCount => Classes.Count;

    /// <summary>The wnids in class-index order.</summary>
    public IReadOnlyList<string> Classes { get; }

    public IReadOnlyList<SkippedSource> Skipped => _skipped.Entries;

    private string SplitDirectory => Path.Combine(_root, Split);

    private bool IsFlat => ImageFiles.SubdirectoryNames(SplitDirectory).Length == 0;

    private string ValidationLabelsPath => _validationLabelsPath ?? Path.Combine(_root, DefaultValidationLabelsFile);

    public int SourceCount => Sources.Count;

    public IEnumerable<DatasetSample> Read() => Read(0, SourceCount);

    public IEnumerable<DatasetSample> Read(int start, int count)
    {
        _skipped.Clear();
        var (first, end) = SourceRange.Clamp(start, count, Sources.Count);
        for (var index = first; index < end; index++)
        {
            var (path, classIndex, problem) = Sources[index];
            if (problem is not null)
            {
                _skipped.Add(path, problem, SkipKinds.Unlabelled);
                continue;
            }
            var image = _skipped.TryDecode(path, bytes => ImageCodec.Decode(bytes, limits: _skipped.Limits));
            if (image is not null)
                yield return new DatasetSample(SampleKeys.FromFileName(path), image, classIndex);
        }
    }

    // Every image file of the split with its class, or the reason it cannot be used; listed once.
    private IReadOnlyList<(string Path, int ClassIndex, string? Problem)> Sources =>
        _sources ??= (Split == "val" && IsFlat ? FlatValidationFiles() : FolderFiles()).ToArray();

    private IReadOnlyList<(string Path, int ClassIndex, string? Problem)>? _sources;

    private IEnumerable<(string Path, int ClassIndex, string? Problem)> FolderFiles()
    {
        foreach (var wnid in ImageFiles.SubdirectoryNames(SplitDirectory))
        {
            bool known = _classIndex.TryGetValue(wnid, out var classIndex);
            foreach (var file in ImageFiles.In(Path.Combine(SplitDirectory, wnid)))
                yield return (file, classIndex, known ? null : $"class folder {wnid} is not among the training classes");
        }
    }

    private IEnumerable<(string Path, int ClassIndex, string? Problem)> FlatValidationFiles()
    {
        var labels = ReadLabelList();
        foreach (var file in ImageFiles.In(SplitDirectory))
        {
            bool labelled = labels.TryGetValue(Path.GetFileName(file), out var classIndex);
            yield return (file, classIndex, labelled ? null : $"no label in {Path.GetFileName(ValidationLabelsPath)}");
        }
    }

    private Dictionary<string, int> ReadLabelList()
    {
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (fileName, label, lineNumber) in ParseLabelList(ValidationLabelsPath))
        {
            int classIndex;
            if (int.TryParse(label, out var index))
            {
                if (index < 0 || index >= ClassCount)
                    throw new InvalidDataException($"{ValidationLabelsPath}:{lineNumber}: class index {index} is outside 0..{ClassCount - 1}.");
                classIndex = index;
            }
            else if (!_classIndex.TryGetValue(label, out classIndex))
                throw new InvalidDataException($"{ValidationLabelsPath}:{lineNumber}: unknown wnid '{label}'.");
            labels[fileName] = classIndex;
        }
        return labels;
    }

    private static IEnumerable<(string FileName, string Label, int LineNumber)> ParseLabelList(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Flat ImageNet val/ needs a label list; {path} does not exist.", path);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
                continue;
            var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new InvalidDataException($"{path}:{lineNumber}: expected 'filename label', got '{text}'.");
            yield return (Path.GetFileName(parts[0]), parts[1], lineNumber);
        }
    }

    private IReadOnlyList<string> DiscoverClasses()
    {
        var train = Path.Combine(_root, "train");
        if (Directory.Exists(train))
            return ImageFiles.SubdirectoryNames(train);
        if (!IsFlat)
            return ImageFiles.SubdirectoryNames(SplitDirectory);
        return ParseLabelList(ValidationLabelsPath)
            .Select(entry => entry.Label)
            .Where(label => !int.TryParse(label, out _))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();
    }
}
