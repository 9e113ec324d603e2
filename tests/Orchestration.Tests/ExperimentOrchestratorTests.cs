using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Platform.Jobs;

namespace SemanticMIM.Orchestration.Tests;

public sealed class ExperimentOrchestratorTests : IAsyncLifetime
{
    private OrchestratorHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await OrchestratorHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Each_event_moves_the_experiment_one_phase_on_and_the_report_job_completes_it()
    {
        var id = Guid.NewGuid();
        await _harness.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = Specs.Tiny("walk") });
        Assert.Equal("walk", (await _harness.WaitForAsync<ExperimentAccepted>(id)).Name);
        await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Sharding);

        // Two training units: the split is committed by the shard service once both are in, duplicates included.
        await _harness.PublishAsync(new ShardWritten { ExperimentId = id, Split = "train", Index = 1, Count = 2 });
        await _harness.WaitForRecordAsync(id, r => r.WrittenShards.GetValueOrDefault("train")?.Count == 1);
        Assert.Empty(_harness.Messages.Of<CommitShards>(id));
        await _harness.PublishAsync(new ShardWritten { ExperimentId = id, Split = "train", Index = 0, Count = 2 });
        var commit = await _harness.WaitForAsync<CommitShards>(id);
        Assert.Equal(("train", 2), (commit.Split, commit.Count));

        await _harness.PublishAsync(new DatasetSharded { ExperimentId = id, Split = "train", Samples = 64, Shards = ["shard-000000.tar", "shard-000001.tar"] });
        await _harness.PublishAsync(new DatasetSharded { ExperimentId = id, Split = "test", Samples = 32, Shards = ["shard-000000.tar"] });
        await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Targets);
        Assert.Equal(2, (await WaitForCountAsync<ComputeTargets>(id, 2)).Count);

        await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = "shard-000000.tar" });
        await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = "shard-000001.tar" });
        await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Pretraining);
        await WaitForLaunchAsync(JobSpec.Pretraining(id).Name);

        await _harness.PublishAsync(new TrainingProgressed { ExperimentId = id, Step = 2, TotalSteps = 4 });
        await _harness.WaitForRecordAsync(id, r => r.Step == 2);
        Assert.Equal(("running", "pretraining", "step 2 of 4"), Shown(await _harness.StatusAsync(id)));

        await _harness.PublishAsync(new PretrainingCompleted { ExperimentId = id, EncoderKey = "experiments/walk/encoder.safetensors" });
        await WaitForLaunchAsync(JobSpec.Evaluation(id, 0).Name);
        await _harness.PublishAsync(new EvaluationCompleted { ExperimentId = id, EvaluationIndex = 0, Results = new List<EvaluationResult>() });
        await WaitForLaunchAsync(JobSpec.Report(id).Name);
        await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Reporting);
        Assert.Equal(("running", "reporting", "writing the report"), Shown(await _harness.StatusAsync(id)));

        await _harness.PublishAsync(new ReportWritten { ExperimentId = id, ResultsKey = "experiments/walk/results.json", ReportKey = "experiments/walk/report/report.md" });
        var completed = await _harness.WaitForAsync<ExperimentCompleted>(id);

        Assert.Equal(("walk", "experiments/walk/results.json", "experiments/walk/report/report.md"), (completed.Name, completed.ResultsKey, completed.ReportKey));
        Assert.Equal(("completed", "completed", "report in experiments/walk/report/report.md"), Shown(await _harness.StatusAsync(id)));
        Assert.Equal([JobSpec.Pretraining(id), JobSpec.Evaluation(id, 0), JobSpec.Report(id)], _harness.Launcher.Launched);
        Assert.Single(_harness.Messages.Of<CommitShards>(id));
        Assert.Equal(0, _harness.Services.GetRequiredService<ExperimentLocks>().Count);
    }

    [Fact]
    public async Task Without_evaluations_pretraining_is_followed_by_the_report()
    {
        var id = await _harness.SaveAsync(ExperimentPhase.Pretraining, Specs.Tiny("no-evaluations", evaluations: 0));

        await _harness.PublishAsync(new PretrainingCompleted { ExperimentId = id, EncoderKey = "e" });
        await WaitForLaunchAsync(JobSpec.Report(id).Name);

        Assert.Equal(ExperimentPhase.Reporting, (await _harness.Repository.GetAsync(id)).Phase);
    }

    [Fact]
    public async Task A_cancel_ends_the_experiment_as_cancelled_stops_its_jobs_and_later_events_change_nothing()
    {
        var id = await _harness.SaveAsync(ExperimentPhase.Pretraining, Specs.Tiny("cancelled", evaluations: 2));

        await _harness.PublishAsync(new CancelExperiment { ExperimentId = id, Reason = "cancelled by the test" });
        var cancelled = await _harness.WaitForAsync<ExperimentCancelled>(id);
        await WaitForCancelAsync(JobSpec.Report(id).Name);
        // The harness's own recovery may have re-issued pretraining before the cancel; nothing is launched after it.
        int launchedBefore = _harness.Launcher.Launched.Count;
        await _harness.PublishAsync(new PretrainingCompleted { ExperimentId = id, EncoderKey = "e" });
        await _harness.PublishAsync(new RunPretraining { ExperimentId = id });
        await _harness.PublishAsync(new CancelExperiment { ExperimentId = id, Reason = "again" });
        await WaitForCountAsync(() => _harness.Launcher.Cancelled.Count(name => name == JobSpec.Report(id).Name), 2);

        Assert.Equal("cancelled by the test", cancelled.Reason);
        var record = await _harness.Repository.GetAsync(id);
        Assert.Equal((ExperimentPhase.Cancelled, "cancelled by the test"), (record.Phase, record.Reason));
        Assert.Equal(("cancelled", "cancelled", "cancelled by the test"), Shown(await _harness.StatusAsync(id)));
        string[] jobs = [JobSpec.Pretraining(id).Name, JobSpec.Evaluation(id, 0).Name, JobSpec.Evaluation(id, 1).Name, JobSpec.Report(id).Name];
        Assert.Equal([.. jobs, .. jobs], _harness.Launcher.Cancelled);
        Assert.Equal(launchedBefore, _harness.Launcher.Launched.Count);
        Assert.Single(_harness.Messages.Of<ExperimentCancelled>(id));
        Assert.Empty(_harness.Messages.Of<ExperimentFailed>(id));
        Assert.Equal(0, _harness.Services.GetRequiredService<ExperimentLocks>().Count);
    }

    [Fact]
    public async Task An_invalid_spec_is_rejected_with_every_problem_and_shows_as_rejected()
    {
        var id = Guid.NewGuid();
        string yaml = Specs.Tiny("bad").Replace("steps: 4", "steps: 0").Replace("imageSize: 28", "imageSize: 2");

        await _harness.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var rejected = await _harness.WaitForAsync<ExperimentRejected>(id);

        Assert.Contains(rejected.Problems, p => p.StartsWith("training", StringComparison.Ordinal));
        Assert.Contains(rejected.Problems, p => p.StartsWith("dataset.imageSize", StringComparison.Ordinal));
        var status = await _harness.StatusAsync(id);
        Assert.Equal(("rejected", "rejected"), (status.State, status.Stage));
        Assert.Contains("dataset.imageSize", status.Detail);
        Assert.Empty(_harness.Messages.Of<ShardDataset>(id));
    }

    [Fact]
    public async Task A_unit_that_failed_for_good_fails_its_experiment_once_with_the_units_error()
    {
        await using var harness = await OrchestratorHarness.StartAsync(workers => workers.AddConsumer<FailingTargetsConsumer>());
        var id = await harness.SaveAsync(ExperimentPhase.Targets, Specs.Tiny("unit-failed"));

        // The target unit fails for good: MassTransit publishes its fault, which the orchestrator consumes.
        await harness.PublishAsync(new ComputeTargets { ExperimentId = id, Shard = "shard-000000.tar" });
        var failed = await harness.WaitForAsync<ExperimentFailed>(id);
        await harness.PublishAsync(new ComputeTargets { ExperimentId = id, Shard = "shard-000000.tar" });
        await Task.Delay(300);

        Assert.Equal(Stages.Targets, failed.Stage);
        Assert.Equal("System.IO.InvalidDataException: the shard does not verify", failed.Reason);
        var status = await harness.StatusAsync(id);
        Assert.Equal(("failed", Stages.Targets), (status.State, status.Stage));
        Assert.Single(harness.Messages.Of<ExperimentFailed>(id));
    }

    [Fact]
    public async Task A_launch_request_of_an_experiment_that_has_ended_launches_nothing()
    {
        var id = await _harness.SaveAsync(ExperimentPhase.Failed, Specs.Tiny("ended"));
        var running = await _harness.SaveAsync(ExperimentPhase.Evaluating, Specs.Tiny("running"));

        await _harness.PublishAsync(new RunEvaluation { ExperimentId = id, EvaluationIndex = 0 });
        await _harness.PublishAsync(new RunEvaluation { ExperimentId = running, EvaluationIndex = 0 });
        await WaitForLaunchAsync(JobSpec.Evaluation(running, 0).Name);

        Assert.DoesNotContain(_harness.Launcher.Launched, job => job.ExperimentId == id);
    }

    [Fact]
    public async Task An_unknown_experiment_shows_as_unknown()
    {
        Assert.Equal("unknown", (await _harness.StatusAsync(Guid.NewGuid())).State);
    }

    /// <summary>A target unit that always fails (MassTransit then publishes its fault).</summary>
    private sealed class FailingTargetsConsumer : IConsumer<ComputeTargets>
    {
        public Task Consume(ConsumeContext<ComputeTargets> context) => throw new InvalidDataException("the shard does not verify");
    }

    private static (string State, string? Stage, string? Detail) Shown(ExperimentStatus status) => (status.State, status.Stage, status.Detail);

    private Task WaitForLaunchAsync(string name) => WaitForCountAsync(() => _harness.Launcher.Launched.Count(job => job.Name == name), 1);

    private Task WaitForCancelAsync(string name) => WaitForCountAsync(() => _harness.Launcher.Cancelled.Count(job => job == name), 1);

    private async Task<IReadOnlyList<T>> WaitForCountAsync<T>(Guid id, int count) where T : class
    {
        await WaitForCountAsync(() => _harness.Messages.Of<T>(id).Count, count);
        return _harness.Messages.Of<T>(id);
    }

    private static async Task WaitForCountAsync(Func<int> count, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (count() < expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {expected}, saw {count()} within 30 s");
            }
            await Task.Delay(20);
        }
    }
}
