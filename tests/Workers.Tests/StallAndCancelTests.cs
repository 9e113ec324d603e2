using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Kubernetes;
using SemanticMIM.Platform.Telemetry;
using SemanticMIM.Workers.Jobs;
using SemanticMIM.Workers.Orchestration;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Tests;

public sealed class StallAndCancelTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private readonly List<ExperimentFailed> _failures = [];
    private EmbeddedPipeline _pipeline = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await EmbeddedPipeline.StartAsync(_folder.Path);
        _pipeline.Events.Subscribe(message =>
        {
            if (message is ExperimentFailed failed)
            {
                lock (_failures)
                {
                    _failures.Add(failed);
                }
            }
        });
    }

    public async Task DisposeAsync()
    {
        await _pipeline.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_stalled_experiment_fails_with_a_timeout_and_a_fresh_one_is_left_alone()
    {
        var repository = _pipeline.Services.GetRequiredService<ExperimentRepository>();
        var stalled = await SaveAsync(repository, ExperimentPhase.Pretraining);
        var finished = await SaveAsync(repository, ExperimentPhase.Completed);
        var watchdog = new ExperimentWatchdog(_pipeline.Services.GetRequiredService<StoreFiles>(), repository,
            _pipeline.Services.GetRequiredService<ExperimentOrchestrator>(), _pipeline.Services.GetRequiredService<IBus>(),
            new WatchdogOptions { StageTimeout = TimeSpan.FromHours(1) }, new ShiftedClock(TimeSpan.FromHours(2)),
            NullLogger<ExperimentWatchdog>.Instance);

        var timedOut = await watchdog.ScanAsync(CancellationToken.None);
        var failure = await WaitForFailureAsync(stalled);
        var again = await watchdog.ScanAsync(CancellationToken.None);

        Assert.Equal([stalled], timedOut);
        Assert.Equal("timeout", failure.Stage);
        Assert.Contains("no progress in pretraining", failure.Reason);
        Assert.Empty(again);
        Assert.Equal(ExperimentPhase.Completed, (await repository.GetAsync(finished)).Phase);
        Assert.Equal(ExperimentPhase.Failed, (await repository.GetAsync(stalled)).Phase);
    }

    [Fact]
    public async Task A_cancelled_experiment_fails_with_the_given_reason_and_later_events_change_nothing()
    {
        var repository = _pipeline.Services.GetRequiredService<ExperimentRepository>();
        var id = await SaveAsync(repository, ExperimentPhase.Targets);

        await _pipeline.Bus.Publish(new CancelExperiment { ExperimentId = id, Reason = "cancelled by the test" });
        var failure = await WaitForFailureAsync(id);
        await _pipeline.Bus.Publish(new TargetsComputed { ExperimentId = id, Shard = "shard-000000.tar" });
        await Task.Delay(300);

        Assert.Equal(("cancel", "cancelled by the test"), (failure.Stage, failure.Reason));
        var record = await repository.GetAsync(id);
        Assert.Equal(ExperimentPhase.Failed, record.Phase);
        Assert.Equal(["shard-000000.tar"], record.PendingShards);
    }

    [Fact]
    public async Task A_kubernetes_job_that_ended_failed_fails_its_experiment_once()
    {
        var repository = _pipeline.Services.GetRequiredService<ExperimentRepository>();
        var id = await SaveAsync(repository, ExperimentPhase.Pretraining);
        var reporter = new JobEndReporter(_pipeline.Services.GetRequiredService<ExperimentOrchestrator>(),
            _pipeline.Services.GetRequiredService<ExperimentPlans>(), _pipeline.Bus, _pipeline.Services.GetRequiredService<SemanticMimMetrics>());
        var ended = new JobEnd($"pretrain-{id:N}", id, JobKinds.Pretraining, null, Succeeded: false, "OOMKilled");

        await reporter.OnJobEndedAsync(ended with { Succeeded = true, Message = null }, CancellationToken.None);
        var stillRunning = (await repository.GetAsync(id)).Phase;
        await reporter.OnJobEndedAsync(ended, CancellationToken.None);
        await reporter.OnJobEndedAsync(ended, CancellationToken.None);
        var failure = await WaitForFailureAsync(id);
        await Task.Delay(300);

        Assert.Equal(ExperimentPhase.Pretraining, stillRunning);
        Assert.Equal(Stages.Pretrain, failure.Stage);
        Assert.Contains("OOMKilled", failure.Reason);
        lock (_failures)
        {
            Assert.Single(_failures, f => f.ExperimentId == id);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failing_job_announces_its_failure_only_when_nothing_retries_it(bool announce)
    {
        // An experiment the repository does not know: the job fails as soon as it reads the record.
        var id = Guid.NewGuid();
        var runner = new ExperimentJobRunner(_pipeline.Services.GetRequiredService<ExperimentRepository>(),
            _pipeline.Services.GetRequiredService<StoreFiles>(), _pipeline.Bus, _pipeline.Services.GetRequiredService<SemanticMimMetrics>(),
            Options.Create(new ExperimentJobOptions { AnnounceFailures = announce }), NullLogger<ExperimentJobRunner>.Instance);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => runner.RunAsync(JobSpec.Pretraining(id), CancellationToken.None));
        await Task.Delay(500);

        lock (_failures)
        {
            Assert.Equal(announce ? 1 : 0, _failures.Count(f => f.ExperimentId == id));
        }
    }

    private static async Task<Guid> SaveAsync(ExperimentRepository repository, ExperimentPhase phase)
    {
        var id = Guid.NewGuid();
        await repository.SaveAsync(new ExperimentRecord
        {
            Id = id, SpecYaml = TinySpecYaml.FashionMnist("stalled"), Name = "stalled", Phase = phase, PendingShards = ["shard-000000.tar"],
        });
        return id;
    }

    private async Task<ExperimentFailed> WaitForFailureAsync(Guid id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lock (_failures)
            {
                if (_failures.FirstOrDefault(f => f.ExperimentId == id) is { } failure)
                {
                    return failure;
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"no ExperimentFailed for {id} within 30 s");
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }
}
