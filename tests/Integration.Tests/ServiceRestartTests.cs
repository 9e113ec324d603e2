using SemanticMIM.Contracts.Messages;
using SemanticMIM.Integration.Tests.Infrastructure;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Agents;

namespace SemanticMIM.Integration.Tests;

/// <summary>
/// The target service killed in the middle of the target stage and started again (a crashed pod): the stage
/// finishes on the new process and every target file is there once. Token targets make the stage's units
/// ordered: the first trains the VQ tokenizer, and the orchestrator only then sends the other three, so the
/// kill after the first TargetsComputed lands while three units are still to do.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class TargetServiceRestartTests(InfrastructureFixture infrastructure, PlatformFixture platform, ITestOutputHelper output)
    : IClassFixture<PlatformFixture>
{
    [Fact]
    public Task The_target_stage_finishes_after_the_target_service_is_killed_and_started_again() => platform.RunAsync(infrastructure, output, async events =>
    {
        string yaml = TinySpecs.FashionMnist("target-restart", target: TinySpecs.VqTokens, method: "baseline", proxies: 1);
        var id = Guid.NewGuid();

        var killed = events.OnFirstAsync<TargetsComputed>(id, _ => platform.Target.Kill());
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var first = await events.WaitForAsync<TargetsComputed>(id, "the first TargetsComputed", PlatformFixture.ExperimentTimeout);
        await killed;
        int doneAtKill = events.Of<TargetsComputed>(id).Select(t => t.Shard).Distinct().Count();
        output.WriteLine($"target service killed after {first.Shard}; {doneAtKill} of {TinySpecs.TrainShards} shards reported by then");
        Assert.True(doneAtKill < TinySpecs.TrainShards, "every shard's targets were done before the kill: the restart was not tested");

        await platform.Target.StartAsync();
        int beforeRestartReady = events.Of<TargetsComputed>(id).Count;
        await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted after the target service restarted", PlatformFixture.ExperimentTimeout);

        var computed = events.Of<TargetsComputed>(id);
        Assert.Equal(TinySpecs.TrainShards, computed.Select(t => t.Shard).Distinct().Count());
        Assert.True(computed.Count > beforeRestartReady, "the restarted target service reported no shard");
        var plan = StoreChecks.Plan(yaml);
        var train = await StoreChecks.VerifyTrainingShardsAsync(platform.Store, plan);
        await StoreChecks.VerifyTargetsAsync(platform.Store, plan, train);
        await StoreChecks.VerifyOutcomeAsync(platform.Store, plan);
    });
}

/// <summary>
/// The orchestrator killed in the middle of pretraining (its process only) and started again: the training, a job on
/// the trainer's job agent, goes on meanwhile; the restarted orchestrator's recovery re-issues RunPretraining, whose
/// launch finds the job running in its record and adopts it instead of starting a second trainer, and the events the
/// job published while the orchestrator was down wait in its queue. The experiment completes once.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class OrchestratorRestartTests(InfrastructureFixture infrastructure, PlatformFixture platform, ITestOutputHelper output)
    : IClassFixture<PlatformFixture>
{
    private const int Steps = 60;
    private const int CheckpointEvery = 2;

    [Fact]
    public Task Pretraining_outlives_an_orchestrator_killed_and_started_again_and_is_adopted_not_launched_twice() => platform.RunAsync(infrastructure, output, async events =>
    {
        string yaml = TinySpecs.FashionMnist("orchestrator-restart", steps: Steps, batchSize: 8, checkpointEvery: CheckpointEvery);
        var id = Guid.NewGuid();

        var killed = events.OnFirstAsync<CheckpointSaved>(id, _ => platform.Orchestrator.Kill());
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var checkpoint = await events.WaitForAsync<CheckpointSaved>(id, "the first CheckpointSaved", PlatformFixture.ExperimentTimeout);
        await killed;
        int stepAtKill = LastStep(events, id);
        output.WriteLine($"orchestrator killed after the checkpoint of step {checkpoint.Step}; last step reported by then: {stepAtKill} of {Steps}");
        Assert.True(events.Of<PretrainingCompleted>(id).Count == 0 && stepAtKill < Steps, "pretraining had finished before the kill: the restart was not tested");

        // Training goes on without the orchestrator.
        await events.WaitForAsync<TrainingProgressed>(id, "progress while the orchestrator is down", PlatformFixture.ExperimentTimeout, p => p.Step > stepAtKill);
        await platform.Orchestrator.StartAsync();
        var pretrained = await events.WaitForAsync<PretrainingCompleted>(id, "PretrainingCompleted", PlatformFixture.ExperimentTimeout);
        await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted after the orchestrator restarted", PlatformFixture.ExperimentTimeout);

        Assert.False(pretrained.Reused, "pretraining was reported as already complete");
        Assert.Equal(0, pretrained.ResumedFromStep);
        // When the job ends while the orchestrator is down, the restart's re-issued RunPretraining finds the encoder in
        // the store and reports it again as reused: trained once means one completion that is not a reuse.
        var completions = events.Of<PretrainingCompleted>(id);
        Assert.Single(completions, c => !c.Reused);
        Assert.All(completions, c => Assert.Equal(pretrained.EncoderKey, c.EncoderKey));
        Assert.Single(events.Of<ExperimentCompleted>(id));
        var job = await StoreChecks.JobRecordAsync(platform.Store, JobSpec.Pretraining(id).Name);
        Assert.Equal((JobRunStatus.Succeeded, 1, 0), (job.Status, job.Attempt, job.Failures));
        var plan = StoreChecks.Plan(yaml);
        Assert.Equal(Enumerable.Range(1, Steps / CheckpointEvery).Select(i => i * CheckpointEvery), await StoreChecks.CheckpointStepsAsync(platform.Store, plan));
        await StoreChecks.VerifyOutcomeAsync(platform.Store, plan);
        var status = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = id });
        Assert.Equal("completed", status.State);
    });

    internal static int LastStep(EventRecorder events, Guid id) => events.Of<TrainingProgressed>(id).Select(p => p.Step).DefaultIfEmpty().Max();
}
