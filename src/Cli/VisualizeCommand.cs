using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Evaluation.Attention;
using SemanticMIM.Model;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Pipeline;
using SemanticMIM.Planning;
using TorchSharp;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim visualize CHECKPOINT...</c>: attention maps of proxies and query patches for a few images, each
/// proxy's map averaged over many images, and the mean attention distance per layer and head of every encoder
/// (spec (g)), as PNG figures and <c>attention-distance.json</c>. Images come through the data set readers and
/// the pipeline's evaluation view and normalisation, so channels and statistics match training.
/// </summary>
internal static class VisualizeCommand
{
    /// <summary>Images per forward pass; bounds memory at 480² where one layer's attention is ~40 MB per image.</summary>
    private const int BatchSize = 8;

    private static readonly Dictionary<string, DatasetKind> Datasets = new(StringComparer.Ordinal)
    {
        ["fashion-mnist"] = DatasetKind.FashionMnist,
        ["imagenet"] = DatasetKind.ImageNet,
        ["pascal-voc"] = DatasetKind.PascalVoc,
        ["ade20k"] = DatasetKind.Ade20k,
        ["synthetic-scenes"] = DatasetKind.SyntheticScenes,
    };

    /// <param name="listing">Where the written files are listed, one unwrapped line each; standard output unless a test captures it.</param>
    public static Command Create(TextWriter? listing = null)
    {
        var checkpoints = new Argument<string[]>("checkpoint") { Description = "Encoder checkpoints (safetensors), as PATH or NAME=PATH; the name labels the series and the output folder", Arity = ArgumentArity.OneOrMore };
        var dataset = new Option<string>("--dataset") { Description = "Data set the images come from", Required = true };
        dataset.AcceptOnlyFromAmong([.. Datasets.Keys]);
        var source = new Option<string?>("--source") { Description = "Folder of the raw data set (not needed for synthetic-scenes, nor for Fashion-MNIST's Debian package)" };
        var split = new Option<string?>("--split") { Description = "Split to read (default: the data set's evaluation split)" };
        var images = new Option<int>("--images") { Description = "Images drawn with their proxy and query maps", DefaultValueFactory = _ => 8 };
        var averageImages = new Option<int>("--average-images") { Description = "Images the averaged proxy maps and the attention distances use", DefaultValueFactory = _ => 500 };
        var layer = new Option<int?>("--layer") { Description = "Layer (1-based) whose maps are drawn (default: the last)" };
        var queries = new Option<string?>("--queries") { Description = "Query patches separated by ';': ROW,COLUMN on the grid or a row-major patch index (default: the centre patch)" };
        var imageSize = new Option<int?>("--image-size") { Description = "Input side in pixels; encoders get resized position embeddings (default: the first checkpoint's)" };
        var subtractMean = new Option<bool>("--subtract-mean") { Description = "Subtract the head- and proxy-averaged proxy map from each proxy's map" };
        var outFolder = new Option<DirectoryInfo>("--out") { Description = "Folder the figures and attention-distance.json are written to", Required = true };
        var command = new Command("visualize", "Draw proxy and patch attention maps and measure the mean attention distance of encoders")
        {
            checkpoints, dataset, source, split, images, averageImages, layer, queries, imageSize, subtractMean, outFolder,
        };
        command.SetAction(parse => Run(listing ?? Console.Out, new Request(
            parse.GetValue(checkpoints)!, Datasets[parse.GetValue(dataset)!], parse.GetValue(dataset)!, parse.GetValue(source), parse.GetValue(split),
            parse.GetValue(images), parse.GetValue(averageImages), parse.GetValue(layer), parse.GetValue(queries), parse.GetValue(imageSize),
            parse.GetValue(subtractMean), parse.GetValue(outFolder)!)));
        return command;
    }

    private sealed record Request(string[] Checkpoints, DatasetKind Kind, string DatasetName, string? Source, string? Split, int Images,
        int AverageImages, int? Layer, string? Queries, int? ImageSize, bool SubtractMean, DirectoryInfo Output);

    /// <summary>One encoder being measured, adapted to the input size, with what is accumulated for it.</summary>
    private sealed record Subject(string Name, VisionTransformer Encoder, int LayerIndex, int[] QueryPatches, AttentionStatistics Statistics, string Folder);

    /// <summary>A query patch as written: a row-major index (<see cref="Column"/> null) or a grid position.</summary>
    private readonly record struct Query(string Text, int RowOrIndex, int? Column)
    {
        public int? Resolve(int grid) => Column is { } column
            ? RowOrIndex < grid && column < grid ? RowOrIndex * grid + column : null
            : RowOrIndex < grid * grid ? RowOrIndex : null;
    }

    private static int Run(TextWriter listing, Request request)
    {
        var problems = new List<string>();
        var named = NameCheckpoints(request.Checkpoints, problems);
        var queries = ParseQueries(request.Queries, problems);
        if (request.Images < 0)
        {
            problems.Add($"--images must not be negative (got {request.Images})");
        }
        if (request.AverageImages < 1)
        {
            problems.Add($"--average-images must be at least 1 (got {request.AverageImages})");
        }
        if (request.Layer < 1)
        {
            problems.Add($"--layer is 1-based and must be at least 1 (got {request.Layer})");
        }
        if (request.ImageSize < 1)
        {
            problems.Add($"--image-size must be positive (got {request.ImageSize})");
        }
        if (problems.Count > 0)
        {
            return Fail(problems);
        }

        var subjects = new List<Subject>();
        try
        {
            var encoders = LoadEncoders(named, problems);
            int side = request.ImageSize ?? encoders.FirstOrDefault().Encoder?.Config.ImageSize ?? 0;
            if (encoders.Select(e => e.Encoder.Config.InChannels).Distinct().Count() > 1)
            {
                problems.Add("the checkpoints take different channel counts: " + string.Join(", ", encoders.Select(e => $"{e.Name} {e.Encoder.Config.InChannels}")));
            }
            foreach (var (name, encoder) in encoders)
            {
                var subject = Prepare(name, encoder, side, request, queries, problems);
                if (subject is not null)
                {
                    subjects.Add(subject);
                }
            }
            if (problems.Count > 0)
            {
                return Fail(problems);
            }
            var spec = new DatasetSpec { Kind = request.Kind, Source = request.Source ?? "", ImageSize = side, Channels = subjects[0].Encoder.Config.InChannels };
            var plan = DatasetPlan.From(spec);
            string split = request.Split ?? plan.EvaluationSplit;
            IDatasetReader reader;
            try
            {
                reader = plan.CreateReader(split);
            }
            catch (Exception error) when (error is IOException or ArgumentException or InvalidDataException or UnauthorizedAccessException)
            {
                return Fail([$"cannot read {request.DatasetName} split '{split}': {error.Message}"]);
            }
            foreach (var subject in subjects)
            {
                Directory.CreateDirectory(subject.Folder);
            }
            long averaged = Visualize(listing, request, plan, reader, subjects);
            if (averaged == 0)
            {
                return Fail([$"{request.DatasetName} split '{split}' gave no images"]);
            }
            WriteDistances(listing, request, split, side, averaged, subjects);
            return 0;
        }
        finally
        {
            foreach (var subject in subjects)
            {
                subject.Encoder.Dispose();
            }
        }
    }

    /// <summary>
    /// Streams the images once in batches; every encoder sees each batch before the next is read. Returns how many
    /// images the averages cover, 0 when the split gave none.
    /// </summary>
    private static long Visualize(TextWriter listing, Request request, DatasetPlan plan, IDatasetReader reader, IReadOnlyList<Subject> subjects)
    {
        int wanted = Math.Max(request.Images, request.AverageImages);
        int index = 0;
        foreach (var batch in reader.Read().Take(wanted).Chunk(BatchSize))
        {
            using var scope = torch.NewDisposeScope();
            var views = batch.Select(sample => ModelInput.CenterView(WithChannels(sample.Image, plan.Channels), plan.ImageSize)).ToList();
            var normalized = ModelInput.Normalized(views, plan);
            int averageCount = Math.Clamp(request.AverageImages - index, 0, views.Count);
            int drawCount = Math.Clamp(request.Images - index, 0, views.Count);
            var shown = drawCount > 0 ? BatchTensors.Images(views[..drawCount]) : null;
            foreach (var subject in subjects)
            {
                if (averageCount > 0)
                {
                    subject.Statistics.Add(normalized[..averageCount]);
                }
                if (shown is null)
                {
                    continue;
                }
                using var maps = AttentionMapExtractor.Extract(subject.Encoder, normalized[..drawCount], subject.LayerIndex, subject.QueryPatches, request.SubtractMean);
                for (int i = 0; i < drawCount; i++)
                {
                    string path = Path.Combine(subject.Folder, string.Create(CultureInfo.InvariantCulture, $"attention-maps-{index + i:D3}.png"));
                    AttentionFigures.WriteImageMaps(path, shown[i], maps, i);
                    listing.WriteLine($"{subject.Name}: maps of image {index + i} ({batch[i].Key}) → {path}");
                }
            }
            index += views.Count;
        }
        if (index == 0)
        {
            return 0;
        }
        foreach (var subject in subjects)
        {
            string path = Path.Combine(subject.Folder, "proxy-average.png");
            using var mean = subject.Statistics.ProxyMaps.Mean();
            AttentionFigures.WriteProxyAverageGrid(path, mean, subject.Encoder.Config.PatchSize);
            listing.WriteLine($"{subject.Name}: layer {subject.LayerIndex + 1} proxy maps averaged over {subject.Statistics.ProxyMaps.ImageCount} images → {path}");
        }
        return subjects[0].Statistics.ProxyMaps.ImageCount;
    }

    private static void WriteDistances(TextWriter listing, Request request, string split, int side, long images, IReadOnlyList<Subject> subjects)
    {
        var distances = subjects.Select(s => (s.Name, s.Statistics.Distance.PerLayerHead())).ToList();
        string figure = Path.Combine(request.Output.FullName, "attention-distance.png");
        AttentionFigures.WriteDistanceScatter(figure, distances);
        string json = Path.Combine(request.Output.FullName, AttentionDistanceReport.FileName);
        AttentionDistanceReport.Create(request.DatasetName, split, side, images, distances).Write(json);
        foreach (var (name, perLayer) in distances)
        {
            string means = string.Join(" ", perLayer.Select(heads => heads.Average().ToString("F1", CultureInfo.InvariantCulture)));
            listing.WriteLine($"{name}: mean attention distance per layer (pixels, head average): {means}");
        }
        listing.WriteLine($"Mean attention distance over {images} images ({AttentionDistance.Normalisation}) → {figure}, {json}");
    }

    /// <summary>Adapts an encoder to the input side and checks the layer and queries against it; null (with problems) when they do not fit.</summary>
    private static Subject? Prepare(string name, VisionTransformer encoder, int side, Request request, IReadOnlyList<Query>? queries, List<string> problems)
    {
        var config = encoder.Config;
        int before = problems.Count;
        if (side % config.PatchSize != 0)
        {
            problems.Add($"{name}: image size {side} is not a multiple of its patch size {config.PatchSize}");
        }
        int layer = request.Layer ?? config.Depth;
        if (layer > config.Depth)
        {
            problems.Add($"{name}: --layer {layer} is beyond its {config.Depth} layers");
        }
        int grid = side / config.PatchSize;
        var patches = queries is null ? [grid / 2 * grid + grid / 2] : queries.Select(q => q.Resolve(grid)).ToArray();
        for (int i = 0; i < patches.Length; i++)
        {
            if (patches[i] is null)
            {
                problems.Add($"{name}: query '{queries![i].Text}' lies outside its {grid}×{grid} grid");
            }
        }
        if (problems.Count > before)
        {
            encoder.Dispose();
            return null;
        }
        var adapted = side == config.ImageSize ? encoder : encoder.Adapted(side, dropPathRate: 0);
        if (!ReferenceEquals(adapted, encoder))
        {
            encoder.Dispose();
        }
        return new Subject(name, adapted, layer - 1, [.. patches.Select(p => p!.Value)],
            new AttentionStatistics(adapted, layer - 1, request.SubtractMean), Path.Combine(request.Output.FullName, name));
    }

    private static List<(string Name, VisionTransformer Encoder)> LoadEncoders(IReadOnlyList<(string Name, string Path)> checkpoints, List<string> problems)
    {
        var encoders = new List<(string Name, VisionTransformer Encoder)>();
        foreach (var (name, path) in checkpoints)
        {
            try
            {
                encoders.Add((name, ModelCheckpoint.LoadEncoder(path)));
            }
            catch (Exception error) when (error is IOException or InvalidDataException or ArgumentException or JsonException)
            {
                problems.Add($"{name}: cannot load {path} as an encoder checkpoint: {error.Message}");
            }
        }
        return encoders;
    }

    /// <summary>
    /// NAME=PATH or PATH. Unnamed checkpoints are named by file name without extension, or by their folder's
    /// name when several share a file name (as runs/experiments/*/encoder.safetensors do).
    /// </summary>
    private static List<(string Name, string Path)> NameCheckpoints(string[] arguments, List<string> problems)
    {
        var parsed = arguments.Select(argument =>
        {
            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            bool isNamed = equals > 0 && !File.Exists(argument);
            string path = isNamed ? argument[(equals + 1)..] : argument;
            return (Name: isNamed ? argument[..equals] : null, Path: path.Length == 0 ? "" : Path.GetFullPath(path));
        }).ToList();
        var stems = parsed.Where(p => p.Name is null).GroupBy(p => Path.GetFileNameWithoutExtension(p.Path)).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var named = parsed.Select(p => (Name: p.Name ?? (stems.Contains(Path.GetFileNameWithoutExtension(p.Path))
            ? Path.GetFileName(Path.GetDirectoryName(p.Path)) ?? "" : Path.GetFileNameWithoutExtension(p.Path)), p.Path)).ToList();
        foreach (var (name, path) in named)
        {
            if (!File.Exists(path))
            {
                problems.Add(path.Length == 0 ? $"'{name}=' gives no checkpoint path" : $"checkpoint {path} does not exist");
            }
            if (name.Length == 0 || name.IndexOfAny([.. Path.GetInvalidFileNameChars()]) >= 0 || name is "." or "..")
            {
                problems.Add($"'{name}' cannot name an output folder; give the checkpoint as NAME=PATH");
            }
        }
        problems.AddRange(named.GroupBy(n => n.Name).Where(g => g.Count() > 1)
            .Select(g => $"{g.Count()} checkpoints are named '{g.Key}'; give them distinct names as NAME=PATH"));
        return named;
    }

    private static List<Query>? ParseQueries(string? text, List<string> problems)
    {
        if (text is null)
        {
            return null;
        }
        var items = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
        {
            problems.Add("--queries names no patch");
        }
        var queries = new List<Query>();
        foreach (var item in items)
        {
            var parts = item.Split(',', StringSplitOptions.TrimEntries);
            var numbers = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : (int?)null).ToArray();
            if (parts.Length > 2 || numbers.Any(n => n is null))
            {
                problems.Add($"--queries: '{item}' is neither ROW,COLUMN nor a patch index");
                continue;
            }
            queries.Add(new Query(item, numbers[0]!.Value, parts.Length == 2 ? numbers[1] : null));
        }
        return queries;
    }

    /// <summary>The channels the encoder takes, converted as decoding a stored image in that mode does (BT.601 luma, or gray repeated).</summary>
    private static ImageBuffer WithChannels(ImageBuffer image, int channels)
    {
        if (image.Channels == channels)
        {
            return image;
        }
        if (channels == 1)
        {
            return Luma.ToGrayscale(image);
        }
        var rgb = new byte[image.Pixels.Length * 3];
        for (int i = 0; i < image.Pixels.Length; i++)
        {
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = image.Pixels[i];
        }
        return new ImageBuffer(image.Width, image.Height, 3, rgb);
    }

    private static int Fail(IReadOnlyList<string> problems) => InputProblems.Refuse("Nothing was drawn", problems);
}
