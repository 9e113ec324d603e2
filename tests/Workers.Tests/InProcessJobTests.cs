using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Orchestration;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;
using SemanticMIM.Workers.Jobs;

namespace SemanticMIM.Workers.Tests;

/// <summary>The embedded run's jobs: how their failures are announced, and how a cancel reaches them.</summary>
public sealed class InProcessJobTests : IAsyncLifetime
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(10);

    private RecordedPipeline _recorded = null!;

    private EmbeddedPipeline Pipeline => _recorded.Pipeline;

    public async Task InitializeAsync() => _recorded = await RecordedPipeline.StartAsync();

    public async Task DisposeAsync() => await _recorded.DisposeAsync();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failing_job_announces_its_failure_only_when_nothing_retries_it(bool announce)
    {
        // An experiment the repository does not know: the job fails as soon as it reads the record.
        var id = Guid.NewGuid();
        var runner = new ExperimentJobRunner(Pipeline.Services.GetRequiredService<ExperimentRepository>(),
            Pipeline.Services.GetRequiredService<StoreFiles>(), Pipeline.Bus, Pipeline.Services.GetRequiredService<SemanticMimMetrics>(),
            new JobFailurePolicy(announce), NullLogger<ExperimentJobRunner>.Instance);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => runner.RunAsync(JobSpec.Pretraining(id), CancellationToken.None));
        if (announce)
        {
            await WaitForAsync<ExperimentFailed>(id, StopWithin);
        }
        await Task.Delay(1000);

        Assert.Equal(announce ? 1 : 0, Events<ExperimentFailed>(id).Count);
    }

    [Fact]
    public async Task A_cancel_stops_running_pretraining_within_seconds_and_keeps_its_checkpoints()
    {
        string yaml = TinySpecYaml.FashionMnist("cancel-pretraining").Replace("steps: 4, batchSize: 16, checkpointEvery: 2", "steps: 100000, batchSize: 16, checkpointEvery: 2");
        var id = Guid.NewGuid();
        var launcher = Pipeline.Services.GetRequiredService<InProcessJobLauncher>();

        await Pipeline.Bus.Publish(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var checkpoint = await WaitForAsync<CheckpointSaved>(id, TimeSpan.FromMinutes(2));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Pipeline.Bus.Publish(new CancelExperiment { ExperimentId = id, Reason = "enough" });
        var final = await launcher.WaitForCompletionAsync(JobSpec.Pretraining(id).Name, CancellationToken.None).WaitAsync(StopWithin);
        var stoppedAfter = clock.Elapsed;
        int stepsAtStop = LastStep(id);
        await Task.Delay(1000);

        Assert.Equal(JobState.Failed(InProcessJobLauncher.CancelRequestedMessage), final);
        Assert.True(stoppedAfter < StopWithin, $"pretraining stopped {stoppedAfter.TotalSeconds:F1} s after the cancel");
        Assert.Equal("enough", (await WaitForAsync<ExperimentCancelled>(id, StopWithin)).Reason);
        Assert.Equal(stepsAtStop, LastStep(id));
        Assert.Empty(Events<PretrainingCompleted>(id));
        string checkpoints = Path.Combine(_recorded.Folder, StoreLayout.PretrainingCheckpoints(ExperimentPlan.From(SpecReader.Read(yaml)).PretrainingId));
        Assert.Contains($"step-{checkpoint.Step:D8}", Directory.GetDirectories(checkpoints).Select(Path.GetFileName));
        Assert.Equal(ExperimentPhase.Cancelled, (await Pipeline.Services.GetRequiredService<ExperimentRepository>().GetAsync(id)).Phase);
    }

    [Fact]
    public async Task A_cancel_stops_a_running_evaluation_within_seconds()
    {
        string yaml = TinySpecYaml.FashionMnist("cancel-evaluation").Replace("epochs: 2, batchSize: 32", "epochs: 100000, batchSize: 32");
        var id = Guid.NewGuid();
        var launcher = Pipeline.Services.GetRequiredService<InProcessJobLauncher>();

        await Pipeline.Bus.Publish(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        await WaitForAsync<PretrainingCompleted>(id, TimeSpan.FromMinutes(2));
        string evaluation = JobSpec.Evaluation(id, 0).Name;
        while ((await launcher.GetStateAsync(evaluation, CancellationToken.None)).Status != JobStatus.Running)
        {
            await Task.Delay(50);
        }
        // Into the probe's epochs (features of the tiny encoder take well under a second).
        await Task.Delay(2000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Pipeline.Bus.Publish(new CancelExperiment { ExperimentId = id, Reason = "enough" });
        var final = await launcher.WaitForCompletionAsync(evaluation, CancellationToken.None).WaitAsync(StopWithin);

        Assert.Equal(JobState.Failed(InProcessJobLauncher.CancelRequestedMessage), final);
        Assert.True(clock.Elapsed < StopWithin, $"the evaluation stopped {clock.Elapsed.TotalSeconds:F1} s after the cancel");
        Assert.Empty(Events<EvaluationCompleted>(id));
    }

    private int LastStep(Guid id) => Events<TrainingProgressed>(id).Select(p => p.Step).DefaultIfEmpty().Max();

    private List<T> Events<T>(Guid id) => _recorded.Events<T>(id);

    private Task<T> WaitForAsync<T>(Guid id, TimeSpan patience) => _recorded.WaitForAsync<T>(id, patience);
}
