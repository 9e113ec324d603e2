using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Views;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Tests;

public sealed class StageTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FolderObjectStore _store;
    private readonly StoreFiles _files;

    public StageTests()
    {
        _store = new FolderObjectStore(_folder.File("store"));
        _files = new StoreFiles(_store, _folder.File("cache"));
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Shard_stage_reuses_a_verified_set_and_rewrites_a_tampered_one()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("shards"));

        var first = await ShardStage.RunAsync(_files, plan.Dataset, "train");
        var second = await ShardStage.RunAsync(_files, plan.Dataset, "train");
        string shard = _store.LocalPath(StoreLayout.Key(StoreLayout.DatasetSplit(plan.Dataset.Id, "train"), first.Value.Shards[1].Name));
        var bytes = await File.ReadAllBytesAsync(shard);
        bytes[700] ^= 0xFF;
        await File.WriteAllBytesAsync(shard, bytes);
        var third = await ShardStage.RunAsync(_files, plan.Dataset, "train");

        Assert.False(first.Reused);
        Assert.Equal((96, 3), (first.Value.TotalSamples, first.Value.Shards.Count));
        Assert.True(second.Reused);
        Assert.False(third.Reused);
        Assert.Equal(first.Value.Shards, third.Value.Shards);
        Assert.Equal(96, new ShardReader(Path.GetDirectoryName(shard)!).ReadAll().Count());
    }

    [Fact]
    public async Task Shard_units_written_in_any_order_commit_to_the_same_split_and_a_repeated_unit_is_reused()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("units"));
        var whole = (await ShardStage.RunAsync(_files, plan.Dataset, "train")).Value;
        using var otherFolder = new TempDirectory();
        var other = new StoreFiles(new FolderObjectStore(otherFolder.Path), otherFolder.File("cache"));

        int units = ShardStage.UnitCount(plan.Dataset, "train");
        var written = new List<bool>();
        foreach (int unit in new[] { 2, 0, 1, 2 })
        {
            written.Add((await ShardStage.WriteUnitAsync(other, plan.Dataset, "train", unit)).Reused);
        }
        var committed = await ShardStage.CommitAsync(other, plan.Dataset, "train", units);

        Assert.Equal(3, units);
        Assert.Equal([false, false, false, true], written);
        Assert.Equal(whole.Shards, committed.Shards);
        Assert.Equal(whole.TotalSamples, committed.TotalSamples);
        Assert.Equal(["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"], committed.Shards.Select(s => s.Name));
    }

    [Theory]
    [InlineData(HogStorage.Uint8)]
    [InlineData(HogStorage.Float16)]
    public async Task The_loader_applies_the_recorded_views_so_the_targets_match_its_pixels(HogStorage storage)
    {
        var spec = TinySpecs.FashionMnist("views");
        var plan = ExperimentPlan.From(spec with { Target = spec.Target with { HogStorage = storage } });
        var (train, targets) = await ShardAndTargetsAsync(plan);
        using var source = BatchSource(plan, train, targets);
        var hog = new HogTargetGenerator(plan.Model.HogOrDefault);

        foreach (int _ in Enumerable.Range(0, 8))
        {
            using var scope = NewDisposeScope();
            var batch = source.Next(16);
            var expected = hog.Compute(batch.Images);

            Assert.Equal(expected.shape, batch.Targets.shape);
            // Bytes (value = code / 255) are within half a code; float16 values in [0, 1] within half its spacing below 1, 2^-12.
            double tolerance = storage == HogStorage.Uint8 ? 1.0 / 510 + 1e-5 : 1.0 / 4096 + 1e-6;
            Assert.True(batch.Targets.allclose(expected, rtol: 0, atol: tolerance), "targets differ from the HOG of the loader's pixels");
        }
        // Each storage has its own target id, so switching it recomputes rather than misreads.
        var other = ExperimentPlan.From(spec with { Target = spec.Target with { HogStorage = storage == HogStorage.Uint8 ? HogStorage.Float16 : HogStorage.Uint8 } });
        Assert.NotEqual(plan.Targets.Id, other.Targets.Id);
        var stored = ShardTargets.Load(_store.LocalPath(StoreLayout.Key(StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id), targets.Files[0].Name)));
        Assert.Equal(storage, stored.HogStorage);
    }

    [Fact]
    public async Task Targets_are_reproducible_and_a_second_run_reuses_them()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("reproducible"));
        var (train, targets) = await ShardAndTargetsAsync(plan);
        var again = await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null);

        using var otherFolder = new TempDirectory();
        var other = new StoreFiles(new FolderObjectStore(otherFolder.Path), otherFolder.File("cache"));
        var otherTrain = await ShardStage.RunAsync(other, plan.Dataset, plan.Dataset.TrainSplit);
        var otherTargets = await TargetStage.RunAsync(other, plan.Targets, plan.Dataset, otherTrain.Value, tokenizer: null);

        Assert.True(again.Reused);
        Assert.Equal(targets.Files, otherTargets.Value.Files);
        var first = ShardTargets.Load(_store.LocalPath(StoreLayout.Key(StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id), targets.Files[0].Name)));
        Assert.Equal(2, first.Views);
        Assert.Equal(ViewSampler.For(plan.Targets.Augmentation).Sample(28, 28, 0, 1), first.View(0, 1));
        Assert.NotEqual(first.View(0, 0), first.View(0, 1));
    }

    [Fact]
    public async Task Stored_hog_targets_take_under_half_the_bytes_of_float16_values()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("compact"));
        var (_, targets) = await ShardAndTargetsAsync(plan);
        int perView = plan.Targets.GridSize * plan.Targets.GridSize * plan.Model.HogOrDefault.FeatureDim(plan.Targets.Channels);

        Assert.All(targets.Files, file => Assert.True(2 * file.Bytes <= (long)file.Samples * plan.Targets.Views * perView * sizeof(short),
            $"{file.Name}: {file.Bytes} bytes for {file.Samples} samples"));
        Assert.StartsWith("hog-", plan.Targets.Id);
        Assert.EndsWith(".targets", targets.Files[0].Name);
    }

    [Fact]
    public async Task A_restarted_target_stage_keeps_finished_shard_files_and_completes_the_set()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("restart"));
        var (train, targets) = await ShardAndTargetsAsync(plan);
        string prefix = StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id);
        string kept = _store.LocalPath(StoreLayout.Key(prefix, targets.Files[0].Name));
        var keptTime = File.GetLastWriteTimeUtc(kept);
        // As if the worker died before the last shard and the manifest.
        await _store.DeleteAsync(StoreLayout.Key(prefix, TargetManifest.FileName));
        await _store.DeleteAsync(StoreLayout.Key(prefix, targets.Files[2].Name));

        var resumed = await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null);

        Assert.False(resumed.Reused);
        Assert.Equal(targets.Files, resumed.Value.Files);
        Assert.Equal(keptTime, File.GetLastWriteTimeUtc(kept));
    }

    [Fact]
    public async Task Batches_depend_on_the_position_alone()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("positions"));
        var (train, targets) = await ShardAndTargetsAsync(plan);
        using var streaming = BatchSource(plan, train, targets);
        var batches = Enumerable.Range(0, 9).Select(_ => streaming.Next(16)).ToList();
        // Another decoding thread count too: every image lands in its own slot whatever the threads.
        using var seeking = BatchSource(plan, train, targets, workers: 1);
        seeking.Seek(16 * 7);

        var seven = seeking.Next(16);
        seeking.Seek(16 * 2);
        var two = seeking.Next(16);

        Assert.True(seven.Images.equal(batches[7].Images).all().ToBoolean());
        Assert.True(seven.Targets.equal(batches[7].Targets).all().ToBoolean());
        Assert.True(two.Images.equal(batches[2].Images).all().ToBoolean());
        Assert.False(batches[0].Images.equal(batches[6].Images).all().ToBoolean(), "epoch 2 should see other views in another order");
    }

    [Fact]
    public async Task A_batch_refilled_into_released_memory_equals_one_in_fresh_memory()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("refill"));
        var (train, targets) = await ShardAndTargetsAsync(plan);
        using var held = BatchSource(plan, train, targets);
        using var released = BatchSource(plan, train, targets);
        // Held batches are never refilled; released ones are, batch after batch.
        var fresh = Enumerable.Range(0, 9).Select(_ => held.Next(16)).ToList();

        for (int i = 0; i < fresh.Count; i++)
        {
            using var scope = NewDisposeScope();
            var batch = released.Next(16);
            Assert.True(batch.Images.equal(fresh[i].Images).all().ToBoolean(), $"images of batch {i}");
            Assert.True(batch.Targets.equal(fresh[i].Targets).all().ToBoolean(), $"targets of batch {i}");
        }
    }

    [Fact]
    public void Every_epoch_visits_every_sample_once_and_shards_of_a_group_stay_together()
    {
        var order = new SampleOrder([5, 7, 3, 6], seed: 11, shardsPerGroup: 2);

        for (long epoch = 0; epoch < 3; epoch++)
        {
            var visited = Enumerable.Range(0, 21).Select(i => order.At(epoch * 21 + i)).ToList();
            Assert.All(visited, v => Assert.Equal(epoch, v.Epoch));
            Assert.Equal(21, visited.Select(v => (v.Shard, v.Index)).Distinct().Count());
            var firstGroup = order.GroupOf(epoch * 21);
            int firstGroupSize = firstGroup.Sum(s => new[] { 5, 7, 3, 6 }[s]);
            Assert.All(visited.Take(firstGroupSize), v => Assert.Contains(v.Shard, firstGroup));
        }
        Assert.NotEqual(Enumerable.Range(0, 21).Select(i => order.At(i)), Enumerable.Range(21, 21).Select(i => order.At(i) with { Epoch = 0 }));
    }

    [Fact]
    public async Task Token_targets_come_from_a_tokenizer_trained_once_per_data_set()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("tokens", TargetKindSpec.Tokens));
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        string folder = await _files.LocalFolderAsync(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit));

        var trained = await TokenizerStage.RunAsync(_files, plan.Targets, plan.Dataset, folder);
        var targets = await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, trained.Value.Tokenizer);
        var reloaded = await TokenizerStage.RunAsync(_files, plan.Targets, plan.Dataset, folder);

        Assert.False(trained.Reused);
        Assert.True(reloaded.Reused);
        Assert.Equal(trained.Value.Report, reloaded.Value.Report);
        Assert.InRange(trained.Value.Report.CodesUsed, 1, 32);
        var file = ShardTargets.Load(_store.LocalPath(StoreLayout.Key(StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id), targets.Value.Files[0].Name)));
        Assert.Null(file.Hog);
        Assert.Equal(40 * 2 * 49, file.Tokens!.Length);
        Assert.All(file.Tokens, id => Assert.InRange(id, 0, 31));
        using var images = Data.Tensors.BatchTensors.Images([Data.Views.ViewRenderer.Render(
            ModelInput.Decode(new ShardReader(folder).ReadAll().First(), plan.Dataset), file.View(0, 0), 56, Data.Imaging.ResizeFilter.Lanczos)]);
        using var ids = reloaded.Value.Tokenizer.Tokenize(images);
        Assert.Equal(file.Tokens.Take(49).Select(i => (long)i), ids.data<long>().ToArray());
        trained.Value.Tokenizer.Dispose();
        reloaded.Value.Tokenizer.Dispose();
    }

    [Fact]
    public async Task Interrupted_pretraining_resumes_from_its_last_checkpoint_to_the_same_weights()
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("resume"));
        var (train, targets) = await ShardAndTargetsAsync(plan);
        using var otherFolder = new TempDirectory();
        var other = new StoreFiles(new FolderObjectStore(otherFolder.Path), otherFolder.File("cache"));
        var otherTrain = (await ShardStage.RunAsync(other, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        var otherTargets = (await TargetStage.RunAsync(other, plan.Targets, plan.Dataset, otherTrain, tokenizer: null)).Value;
        var uninterrupted = await PretrainStage.RunAsync(other, plan, otherTrain, otherTargets);

        using var stop = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            PretrainStage.RunAsync(_files, plan, train, targets, step => { if (step.Step == 3) stop.Cancel(); }, stop.Token));
        var latest = await PretrainStage.LatestCheckpointAsync(_files, StoreLayout.PretrainingCheckpoints(plan.PretrainingId));
        var resumed = await PretrainStage.RunAsync(_files, plan, train, targets);
        var again = await PretrainStage.RunAsync(_files, plan, train, targets);

        Assert.Equal(3, latest!.Value.Step);
        Assert.Equal(3, resumed.Value.ResumedFromStep);
        Assert.True(again.Reused);
        Assert.Equal(Enumerable.Range(1, 6), resumed.Value.Log.Select(p => p.Step));
        Assert.Equal(uninterrupted.Value.Log.Select(p => p.Loss), resumed.Value.Log.Select(p => p.Loss));
        Assert.Equal(
            await File.ReadAllBytesAsync(new FolderObjectStore(otherFolder.Path).LocalPath(uninterrupted.Value.EncoderKey)),
            await File.ReadAllBytesAsync(_store.LocalPath(resumed.Value.EncoderKey)));
    }

    [Theory]
    [InlineData("model.safetensors", "truncated")]
    [InlineData("optimizer.bin", "corrupt")]
    public async Task A_corrupt_newest_checkpoint_is_passed_over_and_training_resumes_from_the_previous_good_one(string file, string damage)
    {
        var plan = ExperimentPlan.From(TinySpecs.FashionMnist("fallback"));
        var (train, targets) = await ShardAndTargetsAsync(plan);
        using var otherFolder = new TempDirectory();
        var other = new StoreFiles(new FolderObjectStore(otherFolder.Path), otherFolder.File("cache"));
        var otherTrain = (await ShardStage.RunAsync(other, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        var otherTargets = (await TargetStage.RunAsync(other, plan.Targets, plan.Dataset, otherTrain, tokenizer: null)).Value;
        var uninterrupted = await PretrainStage.RunAsync(other, plan, otherTrain, otherTargets);
        using var stop = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            PretrainStage.RunAsync(_files, plan, train, targets, step => { if (step.Step == 5) stop.Cancel(); }, stop.Token));
        string newest = StoreLayout.Key(StoreLayout.PretrainingCheckpoints(plan.PretrainingId), "step-00000005");
        string path = Path.Combine(_store.LocalPath(newest), file);
        byte[] bytes = await File.ReadAllBytesAsync(path);
        if (damage == "truncated")
        {
            await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        }
        else
        {
            bytes[bytes.Length / 2] ^= 0x40;
            await File.WriteAllBytesAsync(path, bytes);
        }
        var logger = new RecordingLogger();

        var resumed = await PretrainStage.RunAsync(_files, plan, train, targets, logger: logger);

        var skipped = Assert.Single(resumed.Value.SkippedCheckpoints);
        Assert.Equal(newest, skipped.Key);
        Assert.Contains(file, skipped.Reason);
        Assert.Contains(damage, skipped.Reason);
        Assert.Equal(4, resumed.Value.ResumedFromStep);
        Assert.Contains(logger.Messages, m => m.Contains($"training resumes from pretraining/{plan.PretrainingId}/checkpoints/step-00000004", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, 6), resumed.Value.Log.Select(p => p.Step));
        Assert.Equal(
            await File.ReadAllBytesAsync(new FolderObjectStore(otherFolder.Path).LocalPath(uninterrupted.Value.EncoderKey)),
            await File.ReadAllBytesAsync(_store.LocalPath(resumed.Value.EncoderKey)));
    }

    /// <summary>Keeps every formatted log message.</summary>
    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) => Messages.Add(formatter(state, exception));
    }

    private async Task<(ShardManifest Train, TargetManifest Targets)> ShardAndTargetsAsync(ExperimentPlan plan)
    {
        var train = (await ShardStage.RunAsync(_files, plan.Dataset, plan.Dataset.TrainSplit)).Value;
        var targets = (await TargetStage.RunAsync(_files, plan.Targets, plan.Dataset, train, tokenizer: null)).Value;
        return (train, targets);
    }

    private ShardedBatchSource BatchSource(ExperimentPlan plan, ShardManifest train, TargetManifest targets, int workers = 2)
    {
        string shards = _store.LocalPath(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit));
        string files = _store.LocalPath(StoreLayout.Targets(plan.Dataset.Id, plan.Targets.Id));
        var parts = train.Shards.Zip(targets.Files, (s, f) => new ShardPart(shards, s, Path.Combine(files, f.Name))).ToList();
        return new ShardedBatchSource(parts, plan.Dataset, plan.Model.Encoder.ImageSize, seed: 5, workers: workers);
    }
}
