using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Orchestration;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Workers.Tests;

public sealed class EmbeddedPipelineTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> FastRetry = new() { ["Retry:Intervals:0"] = "00:00:00.050" };
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private RecordedPipeline _recorded = null!;

    private EmbeddedPipeline Pipeline => _recorded.Pipeline;

    public async Task InitializeAsync() => _recorded = await RecordedPipeline.StartAsync(FastRetry);

    public async Task DisposeAsync() => await _recorded.DisposeAsync();

    [Fact]
    public async Task An_experiment_goes_through_every_consumer_and_a_second_run_reuses_every_stage()
    {
        string yaml = TinySpecYaml.FashionMnist("embedded");

        var (first, firstFollower) = await RunAsync(yaml);
        var (second, secondFollower) = await RunAsync(yaml);

        Assert.True(first.Succeeded, first.Summary);
        Assert.True(second.Succeeded, second.Summary);
        Assert.Empty(firstFollower.ReusedStages);
        // The report is written again: it reads the results of both runs' stages.
        Assert.Equal([Stages.Shard, Stages.Targets, Stages.Pretrain, Stages.Evaluate],
            secondFollower.ReusedStages.Order(Comparer<string>.Create((a, b) => Rank(a) - Rank(b))));
        string pretraining = StoreLayout.Pretraining(Plan(yaml).PretrainingId);
        foreach (var key in new[] { "experiments/embedded/results.json", "experiments/embedded/report/report.md", $"{pretraining}/encoder.safetensors",
                     $"{pretraining}/checkpoints/step-00000004/manifest.json", $"{pretraining}/training-log.json", $"{pretraining}/done.json" })
        {
            Assert.True(File.Exists(Path.Combine(_recorded.Folder, key)), $"{key} is missing");
        }
        var checkpoints = Events<CheckpointSaved>(first.ExperimentId).Select(c => c.Step).ToList();
        Assert.Equal([2, 4], checkpoints);
        Assert.Equal(4, Events<TrainingProgressed>(first.ExperimentId).Max(p => p.Step));
        var results = Assert.Single(Events<EvaluationCompleted>(first.ExperimentId)).Results;
        Assert.Contains(results, r => r.Encoder == EncoderKinds.RawPixels);
        Assert.Contains(results, r => r.Encoder == EncoderKinds.RandomInit && r.Layer == 2);
        Assert.Equal(results, Assert.Single(Events<EvaluationCompleted>(second.ExperimentId)).Results);
    }

    [Fact]
    public async Task Experiments_apart_only_in_evaluation_settings_share_one_pretraining_and_another_seed_trains_its_own()
    {
        string yaml = TinySpecYaml.FashionMnist("probe-2-epochs");
        string otherEpochs = TinySpecYaml.FashionMnist("probe-1-epoch").Replace("epochs: 2, batchSize: 32", "epochs: 1, batchSize: 32", StringComparison.Ordinal);
        string otherSeed = TinySpecYaml.FashionMnist("seed-2").Replace("seed: 1", "seed: 2", StringComparison.Ordinal);

        var (first, _) = await RunAsync(yaml);
        var (second, secondFollower) = await RunAsync(otherEpochs);
        var (third, _) = await RunAsync(otherSeed);

        Assert.All([first, second, third], end => Assert.True(end.Succeeded, end.Summary));
        string shared = Plan(yaml).PretrainingId;
        var trained = Assert.Single(Events<PretrainingCompleted>(first.ExperimentId));
        var reused = Assert.Single(Events<PretrainingCompleted>(second.ExperimentId));
        Assert.Equal((false, true), (trained.Reused, reused.Reused));
        // The second trained no step, and both probed the one encoder, stored once under the pretraining's id.
        Assert.Empty(Events<TrainingProgressed>(second.ExperimentId));
        Assert.Empty(Events<CheckpointSaved>(second.ExperimentId));
        Assert.Equal([StoreLayout.PretrainingEncoder(shared)], new[] { trained.EncoderKey, reused.EncoderKey }.Distinct());
        Assert.Equal([StoreLayout.PretrainingEncoder(shared)], new[] { first, second }
            .SelectMany(end => Assert.Single(Events<EvaluationCompleted>(end.ExperimentId)).Results)
            .Where(r => r.Encoder == EncoderKinds.Pretrained).Select(r => r.Checkpoint).Distinct());
        Assert.Contains(Stages.Pretrain, secondFollower.ReusedStages);
        var repository = Pipeline.Services.GetRequiredService<ExperimentRepository>();
        var (firstRecord, secondRecord) = (await repository.GetAsync(first.ExperimentId), await repository.GetAsync(second.ExperimentId));
        Assert.Equal((shared, false), (firstRecord.PretrainingId, firstRecord.PretrainingReused));
        Assert.Equal((shared, true), (secondRecord.PretrainingId, secondRecord.PretrainingReused));
        Assert.Contains($"pretraining {shared}, reused from probe-2-epochs",
            await File.ReadAllTextAsync(Path.Combine(_recorded.Folder, "experiments", "probe-1-epoch", "report", "report.md")), StringComparison.Ordinal);
        // Another training seed shapes another encoder: a pretraining of its own, trained in full.
        string own = Plan(otherSeed).PretrainingId;
        var seeded = Assert.Single(Events<PretrainingCompleted>(third.ExperimentId));
        Assert.NotEqual(shared, own);
        Assert.Equal((false, StoreLayout.PretrainingEncoder(own)), (seeded.Reused, seeded.EncoderKey));
        Assert.Equal(4, Events<TrainingProgressed>(third.ExperimentId).Max(p => p.Step));
        Assert.Equal(new[] { shared, own }.Order(StringComparer.Ordinal),
            Directory.GetDirectories(Path.Combine(_recorded.Folder, "pretraining")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Token_targets_train_the_tokenizer_once_before_the_other_target_units()
    {
        var (end, _) = await RunAsync(TinySpecYaml.FashionMnist("tokens", "{ kind: tokens, tokenizer: vq, vocabSize: 16, tokenizerSteps: 3, views: 1 }", "baseline", 1));

        Assert.True(end.Succeeded, end.Summary);
        Assert.Equal(2, Events<TargetsComputed>(end.ExperimentId).Select(t => t.Shard).Distinct().Count());
        Assert.Single(Directory.GetFiles(Path.Combine(_recorded.Folder, "targets"), "tokenizer.json", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task With_online_targets_the_experiment_skips_the_target_units_stores_no_targets_and_trains()
    {
        string yaml = TinySpecYaml.FashionMnist("online", "{ kind: hog, views: 0 }");
        var (end, _) = await RunAsync(yaml);

        Assert.True(end.Succeeded, end.Summary);
        Assert.Empty(Events<TargetsComputed>(end.ExperimentId));
        Assert.False(Directory.Exists(Path.Combine(_recorded.Folder, "targets")), "online targets should store nothing under targets/");
        Assert.Equal(4, Events<TrainingProgressed>(end.ExperimentId).Max(p => p.Step));
        var log = JsonSerializer.Deserialize<List<TrainingPoint>>(File.ReadAllText(Path.Combine(_recorded.Folder, StoreLayout.PretrainingLog(Plan(yaml).PretrainingId))))!;
        Assert.Equal([1, 2, 3, 4], log.Select(p => p.Step));
        Assert.All(log, p => Assert.True(double.IsFinite(p.Loss), $"step {p.Step}: loss {p.Loss}"));
    }

    [Fact]
    public async Task A_segmentation_experiment_on_synthetic_scenes_completes_with_its_control()
    {
        var (end, _) = await RunAsync(TinySpecYaml.SyntheticScenes("scenes"));

        Assert.True(end.Succeeded, end.Summary);
        var results = Assert.Single(Events<EvaluationCompleted>(end.ExperimentId)).Results;
        Assert.Equal([EncoderKinds.Pretrained, EncoderKinds.RandomInit], results.Select(r => r.Encoder).Distinct());
        Assert.All(results, r => Assert.Equal(ProtocolNames.SegmentationProbe, r.Protocol));
    }

    [Fact]
    public async Task An_invalid_spec_is_rejected_with_every_problem_and_starts_nothing()
    {
        string yaml = TinySpecYaml.FashionMnist("bad").Replace("ratio: 0.6", "ratio: 2").Replace("steps: 4", "steps: 0");

        var (end, _) = await RunAsync(yaml);

        Assert.False(end.Succeeded);
        var rejected = Assert.Single(Events<ExperimentRejected>(end.ExperimentId));
        Assert.Contains(rejected.Problems, p => p.StartsWith("masking.ratio", StringComparison.Ordinal));
        Assert.Contains(rejected.Problems, p => p.StartsWith("training", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_recorded.Folder, "datasets")));
    }

    [Fact]
    public async Task A_duplicate_start_is_harmless_and_a_changed_spec_under_a_used_name_is_rejected()
    {
        string yaml = TinySpecYaml.FashionMnist("twice");
        var id = Guid.NewGuid();
        var follower = new ExperimentFollower(id, ExperimentPlan.From(SpecReader.Read(yaml)));
        using var subscription = Pipeline.Events.Subscribe(follower.Handle);
        var start = new StartExperiment { ExperimentId = id, SpecYaml = yaml };

        await Task.WhenAll(Pipeline.Bus.Publish(start), Pipeline.Bus.Publish(start));
        var end = await follower.Completion.WaitAsync(Patience);
        var (changed, _) = await RunAsync(yaml.Replace("seed: 1", "seed: 2"));

        Assert.True(end.Succeeded, end.Summary);
        Assert.Single(Events<ExperimentAccepted>(id));
        Assert.Single(Events<ExperimentCompleted>(id));
        Assert.False(changed.Succeeded);
        Assert.Contains("already exists with different settings", changed.Summary);
    }

    [Fact]
    public async Task A_unit_that_keeps_failing_fails_the_experiment_with_its_reason()
    {
        string missing = Path.Combine(_recorded.Folder, "no-such-imagenet");
        string yaml = TinySpecYaml.FashionMnist("broken").Replace("kind: fashionMnist, imageSize: 28, channels: 1",
            $"kind: imageNet, source: {missing}, imageSize: 28, channels: 3");
        var failedUnits = new List<(string? Stage, string? Experiment)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (instrument.Meter.Name == SemanticMimMetrics.MeterName && instrument.Name == "semanticmim.units.failed")
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var labels = tags.ToArray();
            // Tests of other classes run meanwhile and fail units of their own experiments.
            if (labels.FirstOrDefault(t => t.Key == "experiment").Value as string != "broken")
            {
                return;
            }
            lock (failedUnits)
            {
                failedUnits.Add((labels.FirstOrDefault(t => t.Key == "stage").Value as string, labels.FirstOrDefault(t => t.Key == "experiment").Value as string));
            }
        });
        listener.Start();

        var (end, _) = await RunAsync(yaml);

        Assert.False(end.Succeeded);
        var failed = Assert.Single(Events<ExperimentFailed>(end.ExperimentId));
        Assert.Equal("shard", failed.Stage);
        Assert.Contains("no-such-imagenet", failed.Reason);
        // Each split's unit (train and test) counts as a failed unit of its stage, under the experiment's name
        // (semanticmim_units_failed_total), once the orchestrator has taken its fault (it announces the failure first).
        for (var waited = 0; waited < 100 && !FailedUnitCounted(); waited++)
        {
            await Task.Delay(50);
        }
        lock (failedUnits)
        {
            Assert.Equal([("shard", "broken"), ("shard", "broken")], failedUnits);
        }

        bool FailedUnitCounted()
        {
            lock (failedUnits)
            {
                return failedUnits.Count >= 2;
            }
        }
    }

    private async Task<(ExperimentEnd End, ExperimentFollower Follower)> RunAsync(string yaml)
    {
        // The follower names progress after the plan; a spec the orchestrator must reject has none.
        ExperimentPlan plan;
        try
        {
            plan = ExperimentPlan.From(SpecReader.Read(yaml));
        }
        catch (InvalidSpecException)
        {
            plan = ExperimentPlan.From(SpecReader.Read(TinySpecYaml.FashionMnist("placeholder")));
        }
        var follower = new ExperimentFollower(Guid.NewGuid(), plan);
        var end = await Pipeline.RunAsync(new StartExperiment { ExperimentId = follower.ExperimentId, SpecYaml = yaml }, follower)
            .WaitAsync(Patience);
        return (end, follower);
    }

    private List<T> Events<T>(Guid id) => _recorded.Events<T>(id);

    private static ExperimentPlan Plan(string yaml) => ExperimentPlan.From(SpecReader.Read(yaml));

    private static int Rank(string stage) =>
        Stages.InOrder.ToList().IndexOf(stage);
}
