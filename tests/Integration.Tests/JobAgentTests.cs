using SemanticMIM.Contracts.Messages;
using SemanticMIM.Integration.Tests.Infrastructure;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Jobs.Agents;

namespace SemanticMIM.Integration.Tests;

/// <summary>
/// The trainer and evaluator as job agents, in processes of their own: a trainer SIGKILLed mid-job and started again
/// resumes the job from its last checkpoint to the same weights, bit for bit, as an uninterrupted run, and a cancelled experiment stops its running pretraining or evaluation
/// within seconds, keeping its checkpoints.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class JobAgentTests(InfrastructureFixture infrastructure, PlatformFixture platform, ITestOutputHelper output)
    : IClassFixture<PlatformFixture>
{
    private static readonly TimeSpan StopWithin = TimeSpan.FromSeconds(15);

    [Fact]
    public Task A_trainer_killed_mid_job_and_started_again_resumes_the_job_from_its_last_checkpoint() => platform.RunAsync(infrastructure, output, async events =>
    {
        const int steps = 40;
        string yaml = TinySpecs.FashionMnist("trainer-restart", steps: steps, batchSize: 8, checkpointEvery: 2);
        var id = Guid.NewGuid();

        var killed = events.OnFirstAsync<CheckpointSaved>(id, _ => platform.Trainer.Kill());
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var checkpoint = await events.WaitForAsync<CheckpointSaved>(id, "the first CheckpointSaved", PlatformFixture.ExperimentTimeout);
        await killed;
        Assert.True(events.Of<PretrainingCompleted>(id).Count == 0, "pretraining had finished before the kill: the restart was not tested");

        await platform.Trainer.StartAsync();
        var pretrained = await events.WaitForAsync<PretrainingCompleted>(id, "PretrainingCompleted after the trainer restarted", PlatformFixture.ExperimentTimeout);
        await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted", PlatformFixture.ExperimentTimeout);

        output.WriteLine($"killed after the checkpoint of step {checkpoint.Step}; resumed from step {pretrained.ResumedFromStep}");
        Assert.True(pretrained.ResumedFromStep >= checkpoint.Step && pretrained.ResumedFromStep < steps,
            $"pretraining resumed from step {pretrained.ResumedFromStep}, not from a checkpoint at or after step {checkpoint.Step}");
        // The killed agent's silence counted as one failure; the second attempt finished the job.
        var job = await StoreChecks.JobRecordAsync(platform.Store, JobSpec.Pretraining(id).Name);
        Assert.Equal((JobRunStatus.Succeeded, 2, 1), (job.Status, job.Attempt, job.Failures));
        Assert.Single(events.Of<ExperimentCompleted>(id));
        await StoreChecks.VerifyOutcomeAsync(platform.Store, StoreChecks.Plan(yaml));

        // The same spec under another name, never interrupted: the resumed run's encoder is the same to the bit. It would
        // share the resumed pretraining, so that is removed first and trained again from the start.
        byte[] resumedEncoder = await platform.Store.ReadBytesAsync(pretrained.EncoderKey);
        foreach (var item in await platform.Store.ListAllAsync(StoreLayout.Pretraining(StoreChecks.Plan(yaml).PretrainingId) + "/"))
        {
            await platform.Store.DeleteAsync(item.Key);
        }
        string uninterruptedYaml = TinySpecs.FashionMnist("trainer-uninterrupted", steps: steps, batchSize: 8, checkpointEvery: 2);
        var uninterruptedId = Guid.NewGuid();
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = uninterruptedId, SpecYaml = uninterruptedYaml });
        var uninterrupted = await events.WaitForAsync<PretrainingCompleted>(uninterruptedId, "the uninterrupted PretrainingCompleted",
            PlatformFixture.ExperimentTimeout);
        Assert.Equal((false, 0), (uninterrupted.Reused, uninterrupted.ResumedFromStep));
        byte[] uninterruptedEncoder = await platform.Store.ReadBytesAsync(uninterrupted.EncoderKey);
        Assert.True(resumedEncoder.AsSpan().SequenceEqual(uninterruptedEncoder),
            $"the encoder resumed after a SIGKILL ({pretrained.EncoderKey}) differs from the uninterrupted run's ({uninterrupted.EncoderKey})");
        await events.WaitForAsync<ExperimentCompleted>(uninterruptedId, "the uninterrupted ExperimentCompleted", PlatformFixture.ExperimentTimeout);
    });

    [Fact]
    public Task A_cancel_stops_running_pretraining_within_seconds_and_keeps_its_checkpoints() => platform.RunAsync(infrastructure, output, async events =>
    {
        string yaml = TinySpecs.FashionMnist("cancel-pretraining", steps: 100000, batchSize: 8, checkpointEvery: 2);
        var id = Guid.NewGuid();
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var checkpoint = await events.WaitForAsync<CheckpointSaved>(id, "the first CheckpointSaved", PlatformFixture.ExperimentTimeout);

        var cancelledAt = DateTimeOffset.UtcNow;
        await platform.Client.PublishAsync(new CancelExperiment { ExperimentId = id, Reason = "stopped by the test" });
        var cancelled = await events.WaitForAsync<ExperimentCancelled>(id, "ExperimentCancelled", StopWithin);
        var job = await WaitForEndAsync(JobSpec.Pretraining(id).Name);
        int lastStep = OrchestratorRestartTests.LastStep(events, id);
        await Task.Delay(TimeSpan.FromSeconds(3));

        output.WriteLine($"cancelled at step {lastStep}; the trainer stopped {(job.EndedAt!.Value - cancelledAt).TotalSeconds:F1} s after the cancel");
        Assert.Equal("stopped by the test", cancelled.Reason);
        Assert.Equal(JobRunStatus.Cancelled, job.Status);
        Assert.True(job.EndedAt.Value - cancelledAt < StopWithin, $"the trainer stopped {(job.EndedAt.Value - cancelledAt).TotalSeconds:F1} s after the cancel");
        Assert.Equal(lastStep, OrchestratorRestartTests.LastStep(events, id));
        Assert.Empty(events.Of<PretrainingCompleted>(id));
        Assert.Contains(checkpoint.Step, await StoreChecks.CheckpointStepsAsync(platform.Store, StoreChecks.Plan(yaml)));
        var status = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = id });
        Assert.Equal(("cancelled", "stopped by the test"), (status.State, status.Detail));
    });

    [Fact]
    public Task A_cancel_stops_a_running_evaluation_within_seconds() => platform.RunAsync(infrastructure, output, async events =>
    {
        string yaml = TinySpecs.FashionMnist("cancel-evaluation").Replace("epochs: 2, batchSize: 32", "epochs: 100000, batchSize: 32", StringComparison.Ordinal);
        var id = Guid.NewGuid();
        string evaluation = JobSpec.Evaluation(id, 0).Name;
        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        await events.WaitForAsync<PretrainingCompleted>(id, "PretrainingCompleted", PlatformFixture.ExperimentTimeout);
        await WaitForAsync(async () => await platform.Store.ExistsAsync(JobRecords.Key(evaluation))
            && (await StoreChecks.JobRecordAsync(platform.Store, evaluation)).Status == JobRunStatus.Running, "the evaluation job running");
        // Into the probe's epochs: the features of the tiny encoder take well under the wait.
        await Task.Delay(TimeSpan.FromSeconds(3));

        var cancelledAt = DateTimeOffset.UtcNow;
        await platform.Client.PublishAsync(new CancelExperiment { ExperimentId = id, Reason = "stopped by the test" });
        var job = await WaitForEndAsync(evaluation);

        Assert.Equal(JobRunStatus.Cancelled, job.Status);
        Assert.True(job.EndedAt!.Value - cancelledAt < StopWithin, $"the evaluator stopped {(job.EndedAt.Value - cancelledAt).TotalSeconds:F1} s after the cancel");
        Assert.Empty(events.Of<EvaluationCompleted>(id));
    });

    private async Task<JobRecord> WaitForEndAsync(string name)
    {
        JobRecord? record = null;
        await WaitForAsync(async () => (record = await StoreChecks.JobRecordAsync(platform.Store, name)).EndedAt is not null, $"job {name} to end");
        return record!;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + PlatformFixture.ExperimentTimeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {PlatformFixture.ExperimentTimeout}: {what}");
            }
            await Task.Delay(200);
        }
    }
}
