using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Evaluation;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Storage;
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
            new EvaluationSpec { Protocol = EvaluationProtocol.LinearProbe, Epochs = 2, BatchSize = 32, Augment = true },
            new EvaluationSpec { Protocol = EvaluationProtocol.FineTune, Recipe = EvaluationRecipes.BeitCode, Epochs = 1, BatchSize = 32 },
            new EvaluationSpec { Protocol = EvaluationProtocol.SegmentationProbe, Epochs = 2, BatchSize = 8, Dataset = Scenes },
            new EvaluationSpec { Protocol = EvaluationProtocol.UperNet, Iterations = 3, BatchSize = 4, CropSize = 24, Dataset = Scenes },
        ],
    };

    [Fact]
    public async Task Every_protocol_runs_on_its_data_set_and_records_its_recipe_and_a_second_run_reuses_the_results()
    {
        var plan = ExperimentPlan.From(AllProtocols());
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.EvaluationSplit);
        var targets = (await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null)).Value;
        var pretrained = (await PretrainStage.RunAsync(_files, plan, train, targets)).Value;

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
}
