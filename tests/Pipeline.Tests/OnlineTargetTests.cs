using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Shards;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Tests;

/// <summary><c>target.views: 0</c>: no stored targets; every step's targets are computed from its own views.</summary>
public sealed class OnlineTargetTests : IDisposable
{
    private const int BatchSize = 16;

    private readonly TempDirectory _folder = new();
    private readonly FolderObjectStore _store;
    private readonly StoreFiles _files;

    public OnlineTargetTests()
    {
        _store = new FolderObjectStore(_folder.File("store"));
        _files = new StoreFiles(_store, _folder.File("cache"));
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Online_hog_targets_of_a_view_equal_its_stored_targets_within_their_quantisation()
    {
        var stored = Plan("stored", views: 1);
        var online = Plan("online", views: 0);
        var train = (await ShardStage.RunAsync(_files, stored.Dataset, stored.Dataset.TrainSplit)).Value;
        var targets = (await TargetStage.RunAsync(_files, stored.Targets, stored.Dataset, train, tokenizer: null)).Value;
        using var recorded = new ShardedBatchSource(await ShardPart.ListAsync(_files, stored, train, targets), stored.Dataset, 28, seed: 5, workers: 2);
        using var onlineTargets = await OnlineTargets.ForPlanAsync(_files, online, CPU);
        using var computed = await OnlineSourceAsync(online, train, onlineTargets!);
        var (bytes, seconds) = await TargetStage.CostAsync(_files, stored.Targets, stored.Dataset);
        Assert.Equal(targets.Files.Sum(f => f.Bytes), bytes);
        Assert.True(seconds > 0, $"computing the stored targets took {seconds} s");

        // Epoch 0 of an online run draws view 0 of every sample, the one view the stored plan recorded: the same pixels.
        for (int step = 0; step < 96 / BatchSize; step++)
        {
            using var scope = NewDisposeScope();
            var expected = recorded.Next(BatchSize);
            var actual = computed.Next(BatchSize);

            Assert.True(actual.Images.equal(expected.Images).all().ToBoolean(), $"step {step}: the online view's pixels differ from the recorded view's");
            Assert.Equal(expected.Targets.shape, actual.Targets.shape);
            // Stored HOG is a byte code per value (value = code / 255): within half a code of the exact online value.
            Assert.True(actual.Targets.allclose(expected.Targets, rtol: 0, atol: 1.0 / 510 + 1e-6), $"step {step}: online HOG differs from the stored HOG");
            Assert.False(actual.Targets.equal(expected.Targets).all().ToBoolean(), "online targets are exact floats, not stored codes");
        }
        // Epoch 1: the stored plan cycles back to its one view, the online run draws a fresh one.
        using var epoch1 = NewDisposeScope();
        Assert.False(computed.Next(BatchSize).Images.equal(recorded.Next(BatchSize).Images).all().ToBoolean(), "epoch 1 should see fresh views online");
    }

    [Fact]
    public async Task The_target_stage_stores_nothing_for_views_0()
    {
        var plan = Plan("nothing", views: 0);
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;

        var targets = await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null);

        Assert.Equal((0, plan.Targets.Id, "hog"), (targets.Value.Views, targets.Value.Target, targets.Value.Kind));
        Assert.Empty(targets.Value.Files);
        Assert.False(Directory.Exists(_store.LocalPath("targets")), "views 0 should write nothing under targets/");
        var refused = Assert.Throws<InvalidOperationException>(() => new TargetComputer(plan.Targets, plan.Dataset, tokenizer: null));
        Assert.Contains("views: 0", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pretraining_on_online_hog_targets_lowers_the_loss_and_resumes_to_the_same_weights()
    {
        var plan = Plan("online-hog", views: 0);
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        var targets = (await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null)).Value;
        using var otherFolder = new TempDirectory();
        var otherStore = new FolderObjectStore(otherFolder.Path);
        var other = new StoreFiles(otherStore, otherFolder.File("cache"));
        var otherTrain = (await ShardStage.RunAsync(other, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        var uninterrupted = (await PretrainStage.RunAsync(other, plan, otherTrain, targets)).Value;

        using var stop = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            PretrainStage.RunAsync(_files, plan, train, targets, step => { if (step.Step == 3) stop.Cancel(); }, stop.Token));
        var resumed = (await PretrainStage.RunAsync(_files, plan, train, targets)).Value;

        var losses = uninterrupted.Log.Select(p => p.Loss).ToList();
        Assert.Equal(6, losses.Count);
        Assert.All(losses, loss => Assert.True(double.IsFinite(loss), $"loss {loss}"));
        Assert.True(losses.TakeLast(2).Average() < losses.Take(2).Average(), $"the loss should fall: {string.Join(", ", losses)}");
        Assert.Equal(3, resumed.ResumedFromStep);
        Assert.Equal(losses, resumed.Log.Select(p => p.Loss));
        Assert.Equal(await File.ReadAllBytesAsync(otherStore.LocalPath(uninterrupted.EncoderKey)), await File.ReadAllBytesAsync(_store.LocalPath(resumed.EncoderKey)));
        // What a sweep's report shows of it: no stored targets, nothing spent computing them, the logged step times.
        var cost = await ReportStage.CostAsync(_files, plan);
        Assert.Equal((6, 0L, 0.0), (cost.Steps, cost.TargetBytes, cost.TargetSeconds));
        Assert.Equal(resumed.Log.Sum(p => 16 / p.ImagesPerSecond), cost.TrainingSeconds, 9);
    }

    [Fact]
    public async Task Online_token_targets_use_the_tokenizer_trained_once_and_equal_the_stored_tokens_of_the_same_view()
    {
        var stored = Plan("stored-tokens", views: 1, TargetKindSpec.Tokens);
        var online = Plan("online-tokens", views: 0, TargetKindSpec.Tokens);
        var train = (await ShardStage.RunAsync(_files, online.Dataset, online.Dataset.TrainSplit)).Value;
        var none = (await TargetStage.RunAsync(_files, online.Targets, online.Dataset, train, tokenizer: null)).Value;

        var pretrained = (await PretrainStage.RunAsync(_files, online, train, none)).Value;

        var losses = pretrained.Log.Select(p => p.Loss).ToList();
        Assert.All(losses, loss => Assert.True(double.IsFinite(loss), $"loss {loss}"));
        Assert.True(losses.TakeLast(2).Average() < losses.Take(2).Average(), $"the loss should fall: {string.Join(", ", losses)}");
        // Pretraining trained the VQ tokenizer and stored it; no target file was written.
        Assert.Equal(stored.Targets.TokenizerId, online.Targets.TokenizerId);
        string tokenizerFolder = _store.LocalPath(StoreLayout.Tokenizer(online.Dataset.Id, online.Targets.TokenizerId!));
        Assert.True(File.Exists(Path.Combine(tokenizerFolder, TokenizerStage.ReportFile)));
        Assert.Empty(Directory.GetFiles(_store.LocalPath("targets"), "*.targets", SearchOption.AllDirectories));

        var (tokenizer, _) = (await TokenizerStage.ForPlanAsync(_files, stored)).Value;
        var targets = (await TargetStage.RunAsync(_files, stored.Targets, stored.Dataset, train, tokenizer)).Value;
        (tokenizer as IDisposable)?.Dispose();
        using var recorded = new ShardedBatchSource(await ShardPart.ListAsync(_files, stored, train, targets), stored.Dataset, 28, seed: 5, workers: 2);
        using var onlineTargets = await OnlineTargets.ForPlanAsync(_files, online, CPU);
        using var computed = await OnlineSourceAsync(online, train, onlineTargets!);
        using var scope = NewDisposeScope();
        var expected = recorded.Next(BatchSize);
        var actual = computed.Next(BatchSize);
        Assert.True(actual.Images.equal(expected.Images).all().ToBoolean());
        Assert.Equal(ScalarType.Int64, actual.Targets.dtype);
        Assert.Equal(expected.Targets.data<long>().ToArray(), actual.Targets.data<long>().ToArray());
    }

    private static ExperimentPlan Plan(string name, int views, TargetKindSpec kind = TargetKindSpec.Hog)
    {
        var spec = TinySpecs.FashionMnist(name, kind);
        return ExperimentPlan.From(spec with
        {
            // Token targets cost a tokenizer and 56-pixel views: one shard of them is enough.
            Dataset = kind == TargetKindSpec.Tokens ? spec.Dataset with { MaxTrainSamples = 32, ShardSize = 32 } : spec.Dataset,
            Target = spec.Target with { Views = views },
            Training = spec.Training with { CheckpointEvery = 0, LearningRate = 0.003, WarmupFraction = 0 },
        });
    }

    private async Task<ShardedBatchSource> OnlineSourceAsync(ExperimentPlan plan, ShardManifest train, OnlineTargets targets)
    {
        var none = (await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null)).Value;
        return new ShardedBatchSource(await ShardPart.ListAsync(_files, plan, train, none), plan.Dataset, 28, seed: 5, workers: 2, online: targets);
    }
}
