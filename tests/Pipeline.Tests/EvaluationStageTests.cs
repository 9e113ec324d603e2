using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;
using SemanticMIM.Evaluation;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Tests;

/// <summary>
/// Every protocol of spec (f) run end to end through the evaluation stage on a tiny pretrained encoder: Fashion-MNIST
/// (28², the pretraining data) for the classification protocols, synthetic scenes at another size (32², so the position
/// embeddings are resized) for the segmentation protocols, which shard that data set themselves.
/// </summary>
public sealed class EvaluationStageTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FolderObjectStore _store;
    private readonly StoreFiles _files;

    public EvaluationStageTests()
    {
        _store = new FolderObjectStore(_folder.File("store"));
        _files = new StoreFiles(_store, _folder.File("cache"));
    }

    public void Dispose() => _folder.Dispose();

    private static readonly DatasetSpec Scenes = new()
    {
        Kind = DatasetKind.SyntheticScenes, ImageSize = 32, Channels = 1, MaxTrainSamples = 24, MaxTestSamples = 8, ShardSize = 24,
    };

    private static ExperimentSpec AllProtocols() => TinySpecs.FashionMnist("protocols") with
    {
        Evaluations =
        [
            new EvaluationSpec { Protocol = LinearProbeDescriptor.Name, Epochs = 2, BatchSize = 32, Augment = true },
            new EvaluationSpec { Protocol = FineTuneDescriptor.Name, Recipe = EvaluationRecipes.BeitCode, Epochs = 1, BatchSize = 32 },
            new EvaluationSpec { Protocol = SegmentationProbeDescriptor.Name, Epochs = 2, BatchSize = 8, Dataset = Scenes },
            new EvaluationSpec { Protocol = UperNetDescriptor.Name, Iterations = 3, BatchSize = 4, CropSize = 24, Dataset = Scenes },
        ],
    };

    [Fact]
    public async Task Every_protocol_runs_on_its_data_set_and_records_its_recipe_and_a_second_run_reuses_the_results()
    {
        var plan = ExperimentPlan.From(AllProtocols());
        var pretrained = await ShardAndPretrainAsync(plan);

        var results = new List<IReadOnlyList<EvaluationResult>>();
        for (int i = 0; i < plan.Spec.Evaluations.Count; i++)
        {
            var run = await EvaluationStage.RunAsync(_files, plan, i, pretrained.EncoderKey);
            Assert.False(run.Reused);
            results.Add(run.Value);
        }

        // Linear probe with augmentation, streamed: every layer (2) and feature on both encoders, top-1 and top-5;
        // the raw-pixel control belongs to the precomputed mode, which holds every image in memory.
        var linear = results[0];
        Assert.Equal(2 * 2 * 2 * 2, linear.Count);
        Assert.DoesNotContain(linear, r => r.Encoder == EncoderKinds.RawPixels);
        Assert.Contains("RandomResizedCrop(0.08, 1) + flip views every epoch", linear[0].Recipe, StringComparison.Ordinal);
        Assert.All(linear, r => Assert.Equal(ProtocolNames.LinearProbe, r.Protocol));
        // Fine-tuning: the pretrained encoder, one run per feature, top-1 and top-5.
        var fineTune = results[1];
        Assert.Equal([FeatureNames.Cls, FeatureNames.Patch], fineTune.Select(r => r.Feature).Distinct().Order());
        Assert.All(fineTune, r => Assert.Equal(EncoderKinds.Pretrained, r.Encoder));
        Assert.Contains(fineTune, r => r.Metric == ProbeMetrics.Top5);
        Assert.Contains("beit-code", fineTune[0].Recipe, StringComparison.Ordinal);
        // The segmentation protocols ran on the synthetic scenes, sharded by the evaluation itself.
        var scenes = DatasetPlan.From(Scenes);
        Assert.All(results[2].Concat(results[3]), r => Assert.StartsWith(scenes.Id, r.Dataset, StringComparison.Ordinal));
        Assert.NotNull(await ShardStage.ReadVerifiedAsync(_files, StoreLayout.DatasetSplit(scenes.Id, scenes.EvaluationSplit)));
        Assert.Equal([EncoderKinds.Pretrained, EncoderKinds.RandomInit], results[2].Select(r => r.Encoder).Distinct());
        Assert.All(results[2], r => Assert.Equal(1, r.Layer));
        Assert.Contains(results[2], r => r.Metric == ProbeMetrics.MeanIoULast);
        var uperNet = Assert.Single(results[3], r => r.Metric == ProbeMetrics.MeanIoU);
        Assert.InRange(uperNet.Value, 0, 1);
        Assert.All(results.SelectMany(r => r), r => Assert.InRange(r.Value, 0, 1));

        for (int i = 0; i < plan.Spec.Evaluations.Count; i++)
        {
            var again = await EvaluationStage.RunAsync(_files, plan, i, pretrained.EncoderKey);
            Assert.True(again.Reused);
            Assert.Equal(results[i], again.Value);
        }
    }

    /// <summary>Both splits of the plan's data set sharded, its targets computed and its encoder pretrained.</summary>
    private async Task<PretrainOutcome> ShardAndPretrainAsync(ExperimentPlan plan)
    {
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.EvaluationSplit);
        var targets = (await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null)).Value;
        return (await PretrainStage.RunAsync(_files, plan, train, targets)).Value;
    }

    [Fact]
    public async Task A_protocol_registered_outside_the_product_is_validated_from_its_descriptor_and_run_by_the_stage()
    {
        ConstantDescriptor.Register();
        var spec = TinySpecs.FashionMnist("constant-protocol") with { Evaluations = [new EvaluationSpec { Protocol = ConstantDescriptor.Name, BatchSize = 8 }] };
        var withEpochs = spec with { Evaluations = [new EvaluationSpec { Protocol = ConstantDescriptor.Name, Epochs = 2 }] };
        Assert.Equal("evaluations[0].epochs", Assert.Single(SpecValidator.Validate(withEpochs)).Field);

        var plan = ExperimentPlan.From(spec);
        var pretrained = await ShardAndPretrainAsync(plan);
        var run = await EvaluationStage.RunAsync(_files, plan, 0, pretrained.EncoderKey);

        string resultName = EvaluationProtocolDescriptors.Get(ConstantDescriptor.Name).ResultName;
        var result = Assert.Single(run.Value);
        Assert.Equal((resultName, EncoderKinds.Pretrained, ConstantDescriptor.Value, pretrained.EncoderKey),
            (result.Protocol, result.Encoder, result.Value, result.Checkpoint));
        Assert.EndsWith($"/0-{resultName}.json", EvaluationStage.ResultKey(plan, 0, plan.Spec.Evaluations[0]), StringComparison.Ordinal);
        Assert.True((await EvaluationStage.RunAsync(_files, plan, 0, pretrained.EncoderKey)).Reused);
    }

    /// <summary>
    /// A PascalVOC tree (JPEGs of assorted sizes, palette label PNGs with ignore borders, split lists) and an ADE20K
    /// tree (JPEGs, grayscale annotations with 0 = "other"), as the real archives lay them out: each image holds
    /// bright blocks of its label's class on a dark background.
    /// </summary>
    private string WriteFixtures()
    {
        string root = _folder.File("fixtures");
        var random = new Random(7);
        void Write(byte[] bytes, params string[] path)
        {
            string file = Path.Combine([root, .. path]);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }
        (ImageBuffer Image, LabelMap Labels) Scene(int width, int height, int classes, bool ignoreBorder)
        {
            var pixels = new byte[width * height * 3];
            var labels = new byte[width * height];
            int blockClass = random.Next(1, classes);
            int left = random.Next(0, width / 2), top = random.Next(0, height / 2);
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    bool inside = x >= left && x < left + width / 2 && y >= top && y < top + height / 2;
                    byte label = inside ? (byte)blockClass : (byte)0;
                    labels[y * width + x] = ignoreBorder && inside && (x == left || y == top) ? LabelMap.Ignore : label;
                    byte value = (byte)(inside ? 60 + 40 * blockClass : 20);
                    pixels[(y * width + x) * 3] = value;
                    pixels[(y * width + x) * 3 + 1] = (byte)(255 - value);
                    pixels[(y * width + x) * 3 + 2] = value;
                }
            }
            return (new ImageBuffer(width, height, 3, pixels), new LabelMap(width, height, labels));
        }
        string[] voc = ["VOCdevkit", "VOC2012"];
        foreach (var (split, count) in new[] { ("train", 12), ("val", 4) })
        {
            var ids = Enumerable.Range(0, count).Select(i => $"2007_{split}{i:D3}").ToArray();
            foreach (string id in ids)
            {
                var (image, labels) = Scene(36 + 4 * random.Next(0, 4), 30, classes: 4, ignoreBorder: true);
                Write(ImageCodec.EncodeJpeg(image, 95), [.. voc, "JPEGImages", id + ".jpg"]);
                Write(IndexedPngEncoder.EncodePalette(labels, ColorPalette.PascalVoc()), [.. voc, "SegmentationClass", id + ".png"]);
            }
            Write(System.Text.Encoding.ASCII.GetBytes(string.Join('\n', ids) + "\n"), [.. voc, "ImageSets", "Segmentation", split + ".txt"]);
        }
        foreach (var (split, count) in new[] { ("training", 12), ("validation", 4) })
        {
            for (int i = 0; i < count; i++)
            {
                // ADE20K's annotations count classes from 1 (0 = "other"): the block class k is stored as k + 1.
                var (image, labels) = Scene(40, 30, classes: 4, ignoreBorder: false);
                var raw = new LabelMap(labels.Width, labels.Height, labels.Labels.Select(l => (byte)(l + 1)).ToArray());
                string name = $"ADE_{split}_{i:D8}";
                Write(ImageCodec.EncodeJpeg(image, 95), "ADEChallengeData2016", "images", split, name + ".jpg");
                Write(IndexedPngEncoder.EncodeGrayscale(raw), "ADEChallengeData2016", "annotations", split, name + ".png");
            }
        }
        return root;
    }

    [Fact]
    public async Task The_segmentation_protocols_run_on_PascalVOC_and_ADE20K_in_their_archive_layouts()
    {
        string fixtures = WriteFixtures();
        var spec = TinySpecs.FashionMnist("real-formats") with
        {
            Dataset = new DatasetSpec { Kind = DatasetKind.FashionMnist, ImageSize = 28, Channels = 1, MaxTrainSamples = 32, MaxTestSamples = 8, ShardSize = 40 },
            Training = new TrainingSpec { Steps = 2, BatchSize = 16, Seed = 3 },
            Evaluations =
            [
                new EvaluationSpec
                {
                    Protocol = SegmentationProbeDescriptor.Name, Epochs = 2, BatchSize = 6,
                    Dataset = new DatasetSpec { Kind = DatasetKind.PascalVoc, Source = Path.Combine(fixtures, "VOCdevkit", "VOC2012"), ImageSize = 32, Channels = 1, ShardSize = 8 },
                },
                new EvaluationSpec
                {
                    Protocol = UperNetDescriptor.Name, Recipe = EvaluationRecipes.Tiny, Iterations = 2, BatchSize = 2, CropSize = 16,
                    Dataset = new DatasetSpec { Kind = DatasetKind.Ade20k, Source = fixtures, ImageSize = 24, Channels = 1, ShardSize = 8 },
                },
            ],
        };
        var plan = ExperimentPlan.From(spec);
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        var targets = (await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null)).Value;
        var pretrained = (await PretrainStage.RunAsync(_files, plan, train, targets)).Value;

        var voc = (await EvaluationStage.RunAsync(_files, plan, 0, pretrained.EncoderKey)).Value;
        var ade = (await EvaluationStage.RunAsync(_files, plan, 1, pretrained.EncoderKey)).Value;

        var vocPlan = plan.EvaluationDataset(0);
        var adePlan = plan.EvaluationDataset(1);
        var vocManifest = await ShardStage.ReadVerifiedAsync(_files, StoreLayout.DatasetSplit(vocPlan.Id, vocPlan.TrainSplit));
        var adeManifest = await ShardStage.ReadVerifiedAsync(_files, StoreLayout.DatasetSplit(adePlan.Id, adePlan.EvaluationSplit));
        Assert.Equal((21, 12), (vocManifest!.ClassCount, vocManifest.TotalSamples));
        Assert.Equal((150, 4), (adeManifest!.ClassCount, adeManifest.TotalSamples));
        Assert.Contains(voc, r => r.Metric == ProbeMetrics.MeanIoU && r.Encoder == EncoderKinds.Pretrained);
        Assert.Contains("resized to 32²", voc[0].Recipe, StringComparison.Ordinal);
        // 24-pixel-high 4:3 windows (24 × 32) under a 16-pixel crop: the validation slides over several windows.
        Assert.Contains("slide 16 stride 11", ade[0].Recipe, StringComparison.Ordinal);
        Assert.All(voc.Concat(ade), r => Assert.InRange(r.Value, 0, 1));
    }
}
