using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Kubernetes.Tests.Fakes;

namespace SemanticMIM.Orchestration.Tests;

public sealed class RecoveryWatchdogAndJobEndTests : IAsyncLifetime
{
    private OrchestratorHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await OrchestratorHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public void Each_unfinished_phase_reissues_exactly_its_pending_units()
    {
        var record = new ExperimentRecord
        {
            Id = Guid.NewGuid(),
            SpecYaml = "name: x",
            Name = "x",
            PendingSplits = ["train", "test"],
            PendingShards = ["shard-000001.tar"],
            PendingEvaluations = [0, 2],
        };
        List<T> Commands<T>(ExperimentPhase phase)
        {
            var commands = OrchestratorRecovery.PendingCommands(record with { Phase = phase }).ToList();
            Assert.All(commands, c => Assert.IsType<T>(c));
            return commands.Cast<T>().ToList();
        }

        Assert.Equal(["train", "test"], Commands<ShardDataset>(ExperimentPhase.Sharding).Select(c => c.Split));
        Assert.Equal(["shard-000001.tar"], Commands<ComputeTargets>(ExperimentPhase.Targets).Select(c => c.Shard));
        Assert.Single(Commands<RunPretraining>(ExperimentPhase.Pretraining));
        Assert.Equal([0, 2], Commands<RunEvaluation>(ExperimentPhase.Evaluating).Select(c => c.EvaluationIndex));
        Assert.Single(Commands<RunReport>(ExperimentPhase.Reporting));
        foreach (var finished in new[] { ExperimentPhase.Completed, ExperimentPhase.Failed, ExperimentPhase.Cancelled, ExperimentPhase.Rejected })
        {
            Assert.Empty(OrchestratorRecovery.PendingCommands(record with { Phase = finished }));
        }
    }

    [Fact]
    public async Task A_stalled_experiment_fails_with_a_timeout_and_a_fresh_or_finished_one_is_left_alone()
    {
        var stalled = await _harness.SaveAsync(ExperimentPhase.Pretraining, Specs.Tiny("stalled"));
        var cancelled = await _harness.SaveAsync(ExperimentPhase.Cancelled, Specs.Tiny("cancelled"));
        var watchdog = new ExperimentWatchdog(_harness.Repository, _harness.Launcher, _harness.Services.GetRequiredService<IServiceScopeFactory>(), _harness.Bus,
            Options.Create(new OrchestratorOptions { StageTimeout = TimeSpan.FromHours(1) }), new ShiftedClock(TimeSpan.FromHours(2)),
            NullLogger<ExperimentWatchdog>.Instance);
        var fresh = new ExperimentWatchdog(_harness.Repository, _harness.Launcher, _harness.Services.GetRequiredService<IServiceScopeFactory>(), _harness.Bus,
            Options.Create(new OrchestratorOptions { StageTimeout = TimeSpan.FromHours(1) }), TimeProvider.System, NullLogger<ExperimentWatchdog>.Instance);

        Assert.Empty(await fresh.ScanAsync(CancellationToken.None));
        var timedOut = await watchdog.ScanAsync(CancellationToken.None);
        var failure = await _harness.WaitForAsync<ExperimentFailed>(stalled);
        var again = await watchdog.ScanAsync(CancellationToken.None);

        Assert.Equal([stalled], timedOut);
        Assert.Equal(Stages.Timeout, failure.Stage);
        Assert.Contains("no progress in pretraining", failure.Reason);
        Assert.Empty(again);
        Assert.Equal(ExperimentPhase.Cancelled, (await _harness.Repository.GetAsync(cancelled)).Phase);
        Assert.Equal(ExperimentPhase.Failed, (await _harness.Repository.GetAsync(stalled)).Phase);
    }

    [Fact]
    public async Task Time_a_job_waits_in_kueues_queue_does_not_count_and_the_stage_timeout_runs_from_its_admission()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = api.CreateClient();
        var launcher = new KubernetesJobLauncher(client, TestSupport.KueueJobsOptions());
        var id = await _harness.SaveAsync(ExperimentPhase.Pretraining, Specs.Tiny("queued"));
        var saved = (await _harness.Repository.GetAsync(id)).Updated;
        var job = JobSpec.Pretraining(id);
        await launcher.LaunchAsync(job, CancellationToken.None);
        ExperimentWatchdog At(TimeSpan sinceSaved) => new(_harness.Repository, launcher, _harness.Services.GetRequiredService<IServiceScopeFactory>(),
            _harness.Bus, Options.Create(new OrchestratorOptions { StageTimeout = TimeSpan.FromHours(1) }), new FixedClock(saved + sinceSaved),
            NullLogger<ExperimentWatchdog>.Instance);
        string jobPath = $"/apis/batch/v1/namespaces/{TestSupport.Namespace}/jobs/{job.Name}";
        var admitted = DateTime.SpecifyKind(saved.UtcDateTime.AddHours(4), DateTimeKind.Utc);

        api.ClearRequests();
        var withinTimeout = await At(TimeSpan.FromMinutes(59)).ScanAsync(CancellationToken.None);
        var askedWithinTimeout = api.Requests.ToList();
        var queuedFiveHours = await At(TimeSpan.FromHours(5)).ScanAsync(CancellationToken.None);
        var askedWhileQueued = api.Requests.ToList();
        api.AdmitJob(TestSupport.Namespace, job.Name, admitted);
        var halfAnHourAfterAdmission = await At(TimeSpan.FromHours(4.5)).ScanAsync(CancellationToken.None);
        var ninetyMinutesAfterAdmission = await At(TimeSpan.FromHours(5.5)).ScanAsync(CancellationToken.None);
        var failure = await _harness.WaitForAsync<ExperimentFailed>(id);

        // Within the timeout the launcher is not asked; past it, exactly the job of the phase is read.
        Assert.Empty(withinTimeout);
        Assert.Empty(askedWithinTimeout);
        Assert.Empty(queuedFiveHours);
        var read = Assert.Single(askedWhileQueued);
        Assert.Equal(("GET", jobPath), (read.Method, read.Path));
        Assert.Empty(halfAnHourAfterAdmission);
        Assert.Equal([id], ninetyMinutesAfterAdmission);
        Assert.Equal(Stages.Timeout, failure.Stage);
        Assert.Equal("no progress in pretraining for 90 minutes (stage timeout 01:00:00)", failure.Reason);
    }

    [Fact]
    public void The_watchdog_asks_only_about_the_jobs_of_the_current_phase()
    {
        var id = Guid.NewGuid();
        var record = new ExperimentRecord { Id = id, SpecYaml = "name: x", Name = "x", PendingEvaluations = [0, 2], TokensParts = 2 };

        Assert.Empty(ExperimentWatchdog.JobsOfPhase(record with { Phase = ExperimentPhase.Sharding }));
        Assert.Equal([JobSpec.Tokens(id, new ShardPart(0, 2)).Name, JobSpec.Tokens(id, new ShardPart(1, 2)).Name],
            ExperimentWatchdog.JobsOfPhase(record with { Phase = ExperimentPhase.Targets }));
        Assert.Empty(ExperimentWatchdog.JobsOfPhase(record with { Phase = ExperimentPhase.Targets, TokensParts = 0 }));
        Assert.Equal([JobSpec.Pretraining(id).Name], ExperimentWatchdog.JobsOfPhase(record with { Phase = ExperimentPhase.Pretraining }));
        Assert.Equal([JobSpec.Evaluation(id, 0).Name, JobSpec.Evaluation(id, 2).Name], ExperimentWatchdog.JobsOfPhase(record with { Phase = ExperimentPhase.Evaluating }));
        Assert.Equal([JobSpec.Report(id).Name], ExperimentWatchdog.JobsOfPhase(record with { Phase = ExperimentPhase.Reporting }));
    }

    [Fact]
    public async Task A_job_that_failed_for_good_fails_its_experiment_once_and_a_successful_end_changes_nothing()
    {
        var id = await _harness.SaveAsync(ExperimentPhase.Evaluating, Specs.Tiny("job-failed"));
        var reporter = _harness.Services.GetRequiredService<IJobEndListener>();
        var ended = new JobEnd(JobSpec.Evaluation(id, 0).Name, id, JobKinds.Evaluation, 0, Succeeded: false, "OOMKilled");

        Assert.IsType<JobEndReporter>(reporter);
        await reporter.OnJobEndedAsync(ended with { Succeeded = true, Message = null }, CancellationToken.None);
        var stillRunning = (await _harness.Repository.GetAsync(id)).Phase;
        await reporter.OnJobEndedAsync(ended, CancellationToken.None);
        await reporter.OnJobEndedAsync(ended, CancellationToken.None);
        var failure = await _harness.WaitForAsync<ExperimentFailed>(id);
        await Task.Delay(300);

        Assert.Equal(ExperimentPhase.Evaluating, stillRunning);
        Assert.Equal(Stages.Evaluate, failure.Stage);
        Assert.Contains("OOMKilled", failure.Reason);
        Assert.Single(_harness.Messages.Of<ExperimentFailed>(id));
    }

    [Fact]
    public async Task Recovery_reissues_the_pending_work_of_unfinished_experiments_only()
    {
        var reporting = await _harness.SaveAsync(ExperimentPhase.Reporting, Specs.Tiny("reporting"));
        var completed = await _harness.SaveAsync(ExperimentPhase.Completed, Specs.Tiny("completed"));
        await Recovery().RecoverAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!_harness.Launcher.Launched.Any(job => job.ExperimentId == reporting) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        // The harness's own recovery at start may have found the record too: launching is idempotent by name.
        var launched = _harness.Launcher.Launched.Where(job => job.ExperimentId == reporting).ToList();
        Assert.NotEmpty(launched);
        Assert.All(launched, job => Assert.Equal(JobSpec.Report(reporting), job));
        Assert.DoesNotContain(_harness.Launcher.Launched, job => job.ExperimentId == completed);
    }

    [Fact]
    public async Task Messages_left_in_an_outbox_are_published_by_the_sweep_even_for_a_finished_experiment()
    {
        // As a crash between saving and publishing leaves them: a completed experiment whose completion was never sent.
        var id = Guid.NewGuid();
        var completed = new ExperimentCompleted { ExperimentId = id, Name = "lost", ResultsKey = "experiments/lost/results.json", ReportKey = "r" };
        await _harness.Repository.SaveAsync(new ExperimentRecord
        {
            Id = id, SpecYaml = Specs.Tiny("lost"), Name = "lost", Phase = ExperimentPhase.Completed, Outbox = [OutboxMessage.Of(completed)],
        });

        await Recovery().SweepOutboxesAsync(CancellationToken.None);
        var published = await _harness.WaitForAsync<ExperimentCompleted>(id);
        await Recovery().SweepOutboxesAsync(CancellationToken.None);
        await Task.Delay(300);

        Assert.Equal(completed, published);
        Assert.Single(_harness.Messages.Of<ExperimentCompleted>(id));
        Assert.Empty((await _harness.Repository.GetAsync(id)).Outbox);
    }

    private OrchestratorRecovery Recovery() => new(_harness.Repository, _harness.Services.GetRequiredService<IServiceScopeFactory>(), _harness.Bus,
        Options.Create(new OrchestratorOptions()), TimeProvider.System, NullLogger<OrchestratorRecovery>.Instance);

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
