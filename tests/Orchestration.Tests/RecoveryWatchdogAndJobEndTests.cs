using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;

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
        var watchdog = new ExperimentWatchdog(_harness.Repository, _harness.Services.GetRequiredService<IServiceScopeFactory>(), _harness.Bus,
            Options.Create(new OrchestratorOptions { StageTimeout = TimeSpan.FromHours(1) }), new ShiftedClock(TimeSpan.FromHours(2)),
            NullLogger<ExperimentWatchdog>.Instance);
        var fresh = new ExperimentWatchdog(_harness.Repository, _harness.Services.GetRequiredService<IServiceScopeFactory>(), _harness.Bus,
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
}
