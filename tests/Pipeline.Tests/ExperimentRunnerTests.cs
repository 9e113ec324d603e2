using SemanticMIM.Contracts.Results;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Storage;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Tests;

public sealed class ExperimentRunnerTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FolderObjectStore _store;
    private readonly ExperimentRunner _runner;
    private readonly List<PipelineProgress> _progress = [];

    public ExperimentRunnerTests()
    {
        _store = new FolderObjectStore(_folder.File("store"));
        _runner = new ExperimentRunner(new StoreFiles(_store, _folder.File("cache")), _progress.Add);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Segmentation_experiment_on_synthetic_scenes_runs_end_to_end_with_its_control()
    {
        var plan = ExperimentPlan.From(TinySpecs.SyntheticScenes("scenes"));

        var outcome = await _runner.RunAsync(plan);

        var results = outcome.Arm.Results;
        Assert.Equal([EncoderKinds.Pretrained, EncoderKinds.RandomInit], results.Select(r => r.Encoder).Distinct());
        Assert.All(results, r => Assert.Equal(ProtocolNames.SegmentationProbe, r.Protocol));
        Assert.All(results, r => Assert.InRange(r.Value, 0, 1));
        Assert.All(results, r => Assert.Equal(2, r.Layer));
        Assert.Equal(6, outcome.Arm.Training.Count);
        Assert.True(File.Exists(_store.LocalPath("experiments/scenes/results.json")));
        Assert.Contains(_progress, p => p.Stage == PipelineProgress.Pretrain && p.Done == 6 && p.Total == 6);
    }

    [Fact]
    public async Task A_second_run_reuses_every_stage_and_a_changed_spec_under_the_same_name_is_refused()
    {
        var spec = TinySpecs.FashionMnist("twice");
        var first = await _runner.RunAsync(ExperimentPlan.From(spec));

        var second = await _runner.RunAsync(ExperimentPlan.From(spec));
        var changed = spec with { Masking = spec.Masking with { Ratio = 0.5 } };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => _runner.RunAsync(ExperimentPlan.From(changed)));

        Assert.Empty(first.ReusedStages);
        Assert.Equal([PipelineProgress.Shard, PipelineProgress.Targets, PipelineProgress.Pretrain, PipelineProgress.Evaluate], second.ReusedStages);
        Assert.Equal(first.Arm.Results, second.Arm.Results);
        Assert.Contains("twice", refused.Message);
        Assert.Contains("different settings", refused.Message);
        // Classification results carry both controls, every layer and both features.
        var results = first.Arm.Results.Where(r => r.Metric == "top1").ToList();
        Assert.Equal(2 * 2 * 2 + 1, results.Count);
        Assert.Single(results, r => r.Encoder == EncoderKinds.RawPixels);
    }
}
