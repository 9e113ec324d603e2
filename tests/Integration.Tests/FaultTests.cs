using SemanticMIM.Contracts.Messages;
using SemanticMIM.Integration.Tests.Infrastructure;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Agents;

namespace SemanticMIM.Integration.Tests;

/// <summary>
/// Faults of the platform's own parts during an experiment. The orchestrator's process SIGKILLed once in every phase
/// (sharding, targets, pretraining, evaluation, report) and started again each time: its outbox and recovery carry
/// the experiment on, which completes once, with its pretraining run once. The broker stopped in the middle of the
/// target stage and started again a few seconds later: every service and the test's own client reconnect, the quorum
/// queues keep their persistent messages, and the experiment completes with every unit done once (a unit redelivered
/// after its work was done is reused, never computed again).
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class FaultTests(InfrastructureFixture infrastructure, PlatformFixture platform, ITestOutputHelper output)
    : IClassFixture<PlatformFixture>
{
    [Fact]
    public Task An_experiment_completes_once_when_the_orchestrator_is_killed_in_every_phase() => platform.RunAsync(infrastructure, output, async events =>
    {
        // A data set of its own (its test count), so that no shard or target is left from the other test of this class.
        string yaml = TinySpecs.FashionMnist("orchestrator-every-phase", steps: 20, batchSize: 8, checkpointEvery: 2,
            target: TinySpecs.VqTokens, method: "baseline", proxies: 1, testSamples: 24);
        var id = Guid.NewGuid();
        // The first event of each phase, as the test sees it: the orchestrator is killed right after it (or, when the
        // event came while the orchestrator was starting again, as soon as it is up), so the kill lands while the
        // orchestrator handles the event or has just handled it, with the phase's remaining work still to come.
        var phases = new (string Phase, Func<Task> FirstEvent)[]
        {
            ("sharding", () => events.WaitForAsync<ShardWritten>(id, "the first ShardWritten", PlatformFixture.ExperimentTimeout)),
            ("targets", () => events.WaitForAsync<TargetsComputed>(id, "the first TargetsComputed", PlatformFixture.ExperimentTimeout)),
            ("pretraining", () => events.WaitForAsync<CheckpointSaved>(id, "the first CheckpointSaved", PlatformFixture.ExperimentTimeout)),
            ("evaluation", () => events.WaitForAsync<PretrainingCompleted>(id, "PretrainingCompleted", PlatformFixture.ExperimentTimeout)),
            ("report", () => events.WaitForAsync<EvaluationCompleted>(id, "EvaluationCompleted", PlatformFixture.ExperimentTimeout)),
        };

        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        foreach (var (phase, firstEvent) in phases)
        {
            await firstEvent();
            platform.Orchestrator.Kill();
            output.WriteLine($"killed the orchestrator in the {phase} phase; events by then:\n{events.Describe(id)}");
            Assert.Empty(events.Of<ExperimentCompleted>(id));
            await platform.Orchestrator.StartAsync();
        }
        await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted after five kills", PlatformFixture.ExperimentTimeout);
        // Late duplicates of the end would show within the sweep interval the platform runs with.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Single(events.Of<ExperimentCompleted>(id));
        Assert.Empty(events.Of<ExperimentFailed>(id));
        var job = await StoreChecks.JobRecordAsync(platform.Store, JobSpec.Pretraining(id).Name);
        Assert.Equal((JobRunStatus.Succeeded, 1, 0), (job.Status, job.Attempt, job.Failures));
        var plan = StoreChecks.Plan(yaml);
        var train = await StoreChecks.VerifyTrainingShardsAsync(platform.Store, plan);
        await StoreChecks.VerifyTargetsAsync(platform.Store, plan, train);
        await StoreChecks.VerifyOutcomeAsync(platform.Store, plan);
        var status = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = id });
        Assert.Equal("completed", status.State);
    });

    [Fact]
    public Task An_experiment_completes_with_every_unit_done_once_across_a_broker_restart() => platform.RunAsync(infrastructure, output, async events =>
    {
        string yaml = TinySpecs.FashionMnist("broker-restart", steps: 20, batchSize: 8, checkpointEvery: 2,
            target: TinySpecs.VqTokens, method: "baseline", proxies: 1, testSamples: 20);
        var id = Guid.NewGuid();

        var first = events.OnFirstAsync<TargetsComputed>(id, _ => { });
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        await first.WaitAsync(PlatformFixture.ExperimentTimeout);
        int doneBefore = events.Of<TargetsComputed>(id).Select(t => t.Shard).Distinct().Count();
        await infrastructure.RestartBrokerAsync(down: TimeSpan.FromSeconds(3));
        output.WriteLine($"broker restarted after {doneBefore} of {TinySpecs.TrainShards} target units");

        await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted after the broker restarted", PlatformFixture.ExperimentTimeout);

        Assert.Single(events.Of<ExperimentCompleted>(id));
        Assert.Empty(events.Of<ExperimentFailed>(id));
        var computed = events.Of<TargetsComputed>(id);
        Assert.Equal(TinySpecs.TrainShards, computed.Select(t => t.Shard).Distinct().Count());
        // Done once: redeliveries may repeat an event, but never the work behind it.
        Assert.All(computed.GroupBy(t => t.Shard), shard => Assert.True(shard.Count(t => !t.Reused) <= 1, $"{shard.Key}'s targets were computed twice"));
        Assert.All(events.Of<ShardWritten>(id).GroupBy(s => (s.Split, s.Index)),
            shard => Assert.True(shard.Count(s => !s.Reused) <= 1, $"shard {shard.Key} was written twice"));
        var job = await StoreChecks.JobRecordAsync(platform.Store, JobSpec.Pretraining(id).Name);
        Assert.Equal((JobRunStatus.Succeeded, 1, 0), (job.Status, job.Attempt, job.Failures));
        var plan = StoreChecks.Plan(yaml);
        var train = await StoreChecks.VerifyTrainingShardsAsync(platform.Store, plan);
        await StoreChecks.VerifyTargetsAsync(platform.Store, plan, train);
        await StoreChecks.VerifyOutcomeAsync(platform.Store, plan);
    });
}
