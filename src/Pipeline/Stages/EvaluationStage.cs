using System.Globalization;
using System.Text.Json;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Evaluation;
using SemanticMIM.Model;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Pipeline.Storage;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Runs one evaluation of a spec on the pretrained encoder and, measured the same way, on the controls: the
/// same architecture randomly initialised, and (for classification) the raw pixels. Results go to
/// <c>experiments/&lt;id&gt;/results/&lt;n&gt;-&lt;protocol&gt;.json</c>; an existing result file is reused.
/// </summary>
public static class EvaluationStage
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string ResultKey(ExperimentPlan plan, int index, EvaluationSpec evaluation) =>
        StoreLayout.Key(StoreLayout.Results(plan.Id), $"{index}-{ProtocolName(evaluation.Protocol)}.json");

    public static string ProtocolName(EvaluationProtocol protocol) =>
        protocol == EvaluationProtocol.LinearProbe ? ProtocolNames.LinearProbe : ProtocolNames.SegmentationProbe;

    public static async Task<StageResult<IReadOnlyList<EvaluationResult>>> RunAsync(StoreFiles files, ExperimentPlan plan, int index,
        string encoderKey, Action<string>? step = null, CancellationToken cancellation = default)
    {
        var evaluation = plan.Spec.Evaluations[index];
        string key = ResultKey(plan, index, evaluation);
        var stored = await files.ReadJsonAsync<List<EvaluationResult>>(key, Json, cancellation);
        if (stored is not null)
        {
            return new(stored, Reused: true);
        }
        var dataset = plan.Dataset;
        step?.Invoke("reading images");
        var train = await LoadSplitAsync(files, dataset, dataset.TrainSplit, evaluation.Protocol, cancellation);
        var test = await LoadSplitAsync(files, dataset, dataset.EvaluationSplit, evaluation.Protocol, cancellation);
        try
        {
            using var pretrained = ModelCheckpoint.LoadEncoder(await files.LocalFileAsync(encoderKey, cancellation));
            random.manual_seed(plan.Spec.Training.Seed + 1);
            using var randomInit = new VisionTransformer(plan.Model.Encoder);
            string recipe = Recipe(evaluation);
            string datasetName = $"{dataset.Id}/{dataset.TrainSplit}→{dataset.EvaluationSplit}";
            EvaluationResult Result(string encoder, ProbeResult probe, string protocol) => new()
            {
                Protocol = protocol,
                Encoder = encoder,
                Layer = probe.Layer,
                Feature = probe.Feature,
                Metric = probe.Metric,
                Value = probe.Value,
                Recipe = recipe,
                Dataset = datasetName,
                Checkpoint = encoder == EncoderKinds.Pretrained ? encoderKey : "",
            };
            var results = new List<EvaluationResult>();
            if (evaluation.Protocol == EvaluationProtocol.LinearProbe)
            {
                var options = new LinearProbeOptions
                {
                    Epochs = evaluation.Epochs,
                    BatchSize = evaluation.BatchSize,
                    LearningRate = evaluation.LearningRate,
                    Seed = (ulong)plan.Spec.Training.Seed,
                };
                int classes = train.ClassCount;
                foreach (var (name, encoder) in new[] { (EncoderKinds.Pretrained, pretrained), (EncoderKinds.RandomInit, randomInit) })
                {
                    step?.Invoke($"features of the {name} encoder");
                    using var trainFeatures = EncoderFeatureExtractor.Extract(encoder, train.Images);
                    using var testFeatures = EncoderFeatureExtractor.Extract(encoder, test.Images);
                    step?.Invoke($"linear probe on the {name} encoder");
                    var report = LinearProbe.Run(ProbeFeatures.FromEncoder(trainFeatures, testFeatures), train.Labels, test.Labels, classes, options);
                    results.AddRange(report.Results.Select(r => Result(name, r, ProtocolNames.LinearProbe)));
                }
                step?.Invoke("linear probe on raw pixels");
                using var trainPixels = RawPixelFeatures.Extract(train.Images);
                using var testPixels = RawPixelFeatures.Extract(test.Images);
                var pixels = LinearProbe.Run([new ProbeFeatures(0, FeatureNames.Pixels, trainPixels, testPixels)], train.Labels, test.Labels, classes, options);
                results.AddRange(pixels.Results.Select(r => Result(EncoderKinds.RawPixels, r, ProtocolNames.LinearProbe)));
            }
            else
            {
                var options = new SegmentationProbeOptions
                {
                    Layer = evaluation.Layer,
                    Epochs = evaluation.Epochs,
                    BatchSize = evaluation.BatchSize,
                    LearningRate = evaluation.LearningRate,
                    Seed = (ulong)plan.Spec.Training.Seed,
                };
                foreach (var (name, encoder) in new[] { (EncoderKinds.Pretrained, pretrained), (EncoderKinds.RandomInit, randomInit) })
                {
                    step?.Invoke($"segmentation probe on the {name} encoder");
                    var report = LinearSegmentationProbe.Run(encoder, train.ClassCount, train.Images, train.Labels, test.Images, test.Labels, options);
                    results.AddRange(report.Results.Select(r => Result(name, r, ProtocolNames.SegmentationProbe)));
                }
            }
            await files.WriteJsonAsync(key, results, Json, cancellation);
            return new(results, Reused: false);
        }
        finally
        {
            train.Dispose();
            test.Dispose();
        }
    }

    private static string Recipe(EvaluationSpec evaluation)
    {
        string layer = evaluation.Protocol != EvaluationProtocol.SegmentationProbe ? ""
            : evaluation.Layer == 0 ? ", last layer" : $", layer {evaluation.Layer}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{ProtocolName(evaluation.Protocol)}: {evaluation.Epochs} epochs, batch {evaluation.BatchSize}, lr {evaluation.LearningRate:G3}{layer}");
    }

    /// <summary>The central view of every image of a split, with class indices or label maps.</summary>
    private static async Task<LabelledImages> LoadSplitAsync(StoreFiles files, DatasetPlan dataset, string split,
        EvaluationProtocol protocol, CancellationToken cancellation)
    {
        string folder = await files.LocalFolderAsync(StoreLayout.DatasetSplit(dataset.Id, split), cancellation);
        var reader = new ShardReader(folder);
        var images = new List<ImageBuffer>();
        var classes = new List<int>();
        var maps = new List<LabelMap>();
        foreach (var sample in reader.ReadAll())
        {
            var decoded = sample.Decode(dataset.Channels == 1 ? ColorMode.Grayscale : ColorMode.Rgb);
            images.Add(ModelInput.CenterView(decoded.Image, dataset.ImageSize));
            if (protocol == EvaluationProtocol.LinearProbe)
            {
                classes.Add(decoded.ClassIndex ?? throw new InvalidDataException($"{split} sample {sample.Key} has no class label for the linear probe"));
            }
            else
            {
                maps.Add(ModelInput.CenterLabels(decoded.Segmentation ?? throw new InvalidDataException($"{split} sample {sample.Key} has no label map"), dataset.ImageSize));
            }
        }
        var pixels = ModelInput.Normalized(images, dataset);
        var labels = protocol == EvaluationProtocol.LinearProbe ? BatchTensors.ClassIndices(classes) : BatchTensors.LabelMaps(maps);
        return new LabelledImages(pixels, labels, reader.Manifest.ClassCount);
    }

    private sealed record LabelledImages(Tensor Images, Tensor Labels, int ClassCount) : IDisposable
    {
        public void Dispose()
        {
            Images.Dispose();
            Labels.Dispose();
        }
    }
}
