using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Training.Tests.Support;

namespace SemanticMIM.Training.Tests;

public sealed class PretrainingEngineTests
{
    [Fact]
    public void ReportsEveryStepWithTheScheduledRate()
    {
        using var data = TinySetup.Data();
        var config = TinySetup.Training(steps: 5);
        var progress = new RecordingProgress();
        var source = data.Source();
        using var engine = PretrainingEngine.Start(TinySetup.Model(), config, source, progress: progress);

        engine.Run();

        var schedule = WarmupCosineSchedule.From(config);
        Assert.Equal([1, 2, 3, 4, 5], progress.Reports.Select(r => r.Step));
        Assert.All(progress.Reports, r =>
        {
            Assert.Equal(schedule.At(r.Step - 1), r.LearningRate);
            Assert.True(double.IsFinite(r.Loss) && r.Loss > 0);
            Assert.True(r.GradientNorm > 0 && r.ImagesPerSecond > 0);
        });
        Assert.True(engine.IsComplete);
        Assert.Equal(5L * config.BatchSize, source.Position);
    }

    [Fact]
    public void AStepsPhasesAddUpToItsTimeAndTheDataPhaseHoldsTheWaitForBatches()
    {
        using var data = TinySetup.Data();
        var config = TinySetup.Training(steps: 5, batchSize: 4) with { AccumulationSteps = 2 };
        var wait = TimeSpan.FromMilliseconds(60);
        using var engine = PretrainingEngine.Start(TinySetup.Model(), config, new SlowBatchSource(data.Source(), wait));

        var progress = engine.TrainStep();

        var phases = progress.Phases;
        double step = config.EffectiveBatchSize / progress.ImagesPerSecond;
        Assert.All(new[] { phases.DataSeconds, phases.ForwardSeconds, phases.BackwardSeconds, phases.UpdateSeconds }, seconds => Assert.True(seconds > 0));
        Assert.Equal(step, phases.DataSeconds + phases.ForwardSeconds + phases.BackwardSeconds + phases.UpdateSeconds, 1e-9);
        // Two micro-batches, each waited for: the data phase holds both waits and not much more.
        Assert.InRange(phases.DataSeconds, 2 * wait.TotalSeconds, 2 * wait.TotalSeconds + 0.5 * (step - 2 * wait.TotalSeconds));
    }

    private sealed class SlowBatchSource(IBatchSource inner, TimeSpan wait) : IBatchSource
    {
        public long Position => inner.Position;

        public TrainingBatch Next(int batchSize)
        {
            Thread.Sleep(wait);
            return inner.Next(batchSize);
        }

        public void Seek(long position) => inner.Seek(position);
    }

    [Fact]
    public void TwoAccumulatedHalfBatchesEqualOneFullBatch()
    {
        using var data = TinySetup.Data();
        var full = TinySetup.Training(steps: 3, batchSize: 8);
        var halves = full with { BatchSize = 4, AccumulationSteps = 2 };

        using var fullEngine = PretrainingEngine.Start(TinySetup.Model(), full, data.Source());
        var fullReports = Enumerable.Range(0, 3).Select(_ => fullEngine.TrainStep()).ToList();
        using var halfEngine = PretrainingEngine.Start(TinySetup.Model(), halves, data.Source());
        var halfReports = Enumerable.Range(0, 3).Select(_ => halfEngine.TrainStep()).ToList();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(fullReports[i].Loss, halfReports[i].Loss, 1e-5);
            Assert.Equal(fullReports[i].GradientNorm, halfReports[i].GradientNorm, 1e-4);
        }
        var expected = TinySetup.Weights(fullEngine.Model);
        foreach (var (name, values) in TinySetup.Weights(halfEngine.Model))
        {
            double largest = values.Zip(expected[name], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(largest < 1e-5, $"{name} differs by {largest}");
        }
    }

    [Theory]
    [InlineData(TrainingPrecision.Fp32)]
    [InlineData(TrainingPrecision.Bf16)]
    public void ResumingFromACheckpointEndsBitIdenticalToAnUninterruptedRun(TrainingPrecision precision)
    {
        using var data = TinySetup.Data();
        using var folder = new TempDirectory();
        // Drop path on and accumulation, so the global generator and sampler position must both be restored.
        var modelConfig = TinySetup.Model(dropPath: 0.2);
        var config = TinySetup.Training(steps: 9, batchSize: 4, accumulation: 2) with { Precision = precision };

        Dictionary<string, float[]> uninterrupted;
        using (var engine = PretrainingEngine.Start(modelConfig, config, data.Source()))
        {
            engine.Run();
            uninterrupted = TinySetup.Weights(engine.Model);
        }

        using var cancel = new CancellationTokenSource();
        var stopAtFour = new RecordingProgress(r => { if (r.Step == 4) { cancel.Cancel(); } });
        using (var first = PretrainingEngine.Start(modelConfig, config, data.Source(), folder.Path, stopAtFour))
        {
            first.Run(cancel.Token);
            Assert.Equal(4, first.Step);
        }
        var checkpoint = CheckpointDirectory.LatestCheckpoint(folder.Path);
        Assert.Equal(CheckpointDirectory.FolderName(4), Path.GetFileName(checkpoint));

        using var resumed = PretrainingEngine.Resume(checkpoint!, data.Source(), folder.Path);
        resumed.Run();

        Assert.Equal(9, resumed.Step);
        foreach (var (name, values) in TinySetup.Weights(resumed.Model))
        {
            Assert.True(values.AsSpan().SequenceEqual(uninterrupted[name]), $"{name} is not bit-identical");
        }
        Assert.Equal(CheckpointDirectory.FolderName(9), Path.GetFileName(CheckpointDirectory.LatestCheckpoint(folder.Path)));
    }

    [Fact]
    public void CheckpointsHoldEveryFileListedInTheManifestAndTheModelLoads()
    {
        using var data = TinySetup.Data();
        using var folder = new TempDirectory();
        using var engine = PretrainingEngine.Start(TinySetup.Model(), TinySetup.Training(steps: 4, checkpointInterval: 2), data.Source(), folder.Path);

        engine.Run();

        var names = Directory.EnumerateDirectories(folder.Path).Select(Path.GetFileName).Order().ToList();
        Assert.Equal([CheckpointDirectory.FolderName(2), CheckpointDirectory.FolderName(4)], names);
        var manifest = CheckpointManifest.ReadValid(engine.LastCheckpoint!);
        Assert.NotNull(manifest);
        Assert.Equal(4, manifest.Step);
        Assert.Equal([PretrainingEngine.ModelFileName, PretrainingEngine.OptimizerFileName, TrainingState.FileName], manifest.Files.Select(f => f.Name));
        var state = TrainingState.Load(Path.Combine(engine.LastCheckpoint!, TrainingState.FileName));
        Assert.Equal(4, state.Step);
        Assert.Equal(16, state.SamplerPosition);
        Assert.Equal(engine.Config, state.Config);
        using var loaded = ModelCheckpoint.LoadPretraining(Path.Combine(engine.LastCheckpoint!, PretrainingEngine.ModelFileName));
        var expected = TinySetup.Weights(engine.Model);
        Assert.All(TinySetup.Weights(loaded), p => Assert.Equal(expected[p.Key], p.Value));
    }

    [Fact]
    public void WithoutAStepIntervalACheckpointIsTakenWheneverThePeriodHasPassed()
    {
        using var data = TinySetup.Data();
        using var folder = new TempDirectory();
        var clock = new SteppedClock();
        // Four minutes of training per step against a ten-minute period: checkpoints after steps 3 and 6, then the end.
        var progress = new RecordingProgress(_ => clock.Advance(TimeSpan.FromMinutes(4)));
        var config = TinySetup.Training(steps: 8, checkpointInterval: 0) with { CheckpointPeriod = TimeSpan.FromMinutes(10) };
        using var engine = PretrainingEngine.Start(TinySetup.Model(), config, data.Source(), folder.Path, progress, clock: clock);

        engine.Run();

        var names = Directory.EnumerateDirectories(folder.Path).Select(Path.GetFileName).Order().ToList();
        Assert.Equal([CheckpointDirectory.FolderName(3), CheckpointDirectory.FolderName(6), CheckpointDirectory.FolderName(8)], names);
    }

    /// <summary>A clock that moves only when told, so training time is whatever the test says.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    [Fact]
    public void AFolderWithoutAManifestIsIgnoredAndResumeUsesThePreviousCheckpoint()
    {
        using var data = TinySetup.Data();
        using var folder = new TempDirectory();
        var config = TinySetup.Training(steps: 6, checkpointInterval: 2);
        using (var engine = PretrainingEngine.Start(TinySetup.Model(), config, data.Source(), folder.Path))
        {
            engine.Run();
        }
        // A crash between the last data file and the manifest; and a checkpoint whose weights were corrupted.
        var six = Path.Combine(folder.Path, CheckpointDirectory.FolderName(6));
        File.Delete(Path.Combine(six, CheckpointManifest.FileName));
        var four = Path.Combine(folder.Path, CheckpointDirectory.FolderName(4));
        using (var weights = File.OpenWrite(Path.Combine(four, PretrainingEngine.ModelFileName)))
        {
            weights.Seek(-1, SeekOrigin.End);
            weights.WriteByte(0x5A);
        }

        var latest = CheckpointDirectory.LatestCheckpoint(folder.Path);

        Assert.Equal(Path.Combine(folder.Path, CheckpointDirectory.FolderName(2)), latest);
        Assert.Throws<InvalidDataException>(() => PretrainingEngine.Resume(six, data.Source()));
        using var resumed = PretrainingEngine.Resume(latest!, data.Source(), folder.Path);
        Assert.Equal(2, resumed.Step);
        resumed.Run();
        Assert.Equal(6, resumed.Step);
        Assert.NotNull(CheckpointManifest.ReadValid(six));
    }

    [Fact]
    public void ANonFiniteLossStopsTheRunNamingTheStepAndKeepsTheLastCheckpoint()
    {
        using var data = TinySetup.Data();
        using var folder = new TempDirectory();
        var config = TinySetup.Training(steps: 6, checkpointInterval: 2);
        var source = new PoisonedBatchSource(data.Source(), poisonedBatch: 3, config.BatchSize);
        using var engine = PretrainingEngine.Start(TinySetup.Model(), config, source, folder.Path);
        var before = TinySetup.Weights(engine.Model);

        var error = Assert.Throws<NonFiniteLossException>(() => engine.Run());

        Assert.Equal(3, error.Step);
        Assert.Contains("step 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, engine.Step);
        var latest = CheckpointDirectory.LatestCheckpoint(folder.Path);
        Assert.Equal(Path.Combine(folder.Path, CheckpointDirectory.FolderName(2)), latest);
        Assert.Single(Directory.EnumerateDirectories(folder.Path));
        Assert.NotEqual(before["backbone.mask_token"], TinySetup.Weights(engine.Model)["backbone.mask_token"]);
    }

    /// <summary>
    /// The measure is the calling thread's count of live TorchSharp tensors (created minus disposed): it is
    /// exact and deterministic, unlike the process working set, which glibc's allocator makes noisy. A leak
    /// of even one tensor per step (such as <c>x += y</c>) would add 180 here.
    /// </summary>
    [Fact]
    public void LiveTensorCountStaysFlatOverTwoHundredSteps()
    {
        using var data = TinySetup.Data();
        using var engine = PretrainingEngine.Start(TinySetup.Model(), TinySetup.Training(steps: 200, batchSize: 2, accumulation: 2), data.Source());
        var statistics = DisposeScopeManager.Statistics;
        for (int i = 0; i < 20; i++)
        {
            engine.TrainStep();
        }
        long afterWarmup = statistics.ThreadTotalLiveCount;

        engine.Run();

        Assert.Equal(200, engine.Step);
        Assert.InRange(statistics.ThreadTotalLiveCount - afterWarmup, long.MinValue, 5);
    }
}
