using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// The pretraining phase of experiments that share a pretraining (<see cref="ExperimentPlan.PretrainingId"/>): one found
/// complete launches no trainer, one being trained by another experiment is waited for, and one whose trainer ended
/// unfinished is taken over.
/// </summary>
public sealed class SharedPretrainingTests : IAsyncLifetime
{
    private OrchestratorHarness _harness = null!;

    private IObjectStore Store => _harness.Services.GetRequiredService<IObjectStore>();

    public async Task InitializeAsync() => _harness = await OrchestratorHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_pretraining_complete_in_the_store_moves_the_experiment_on_to_its_evaluations_without_a_trainer_job()
    {
        string yaml = Specs.Tiny("reuses");
        string pretraining = PretrainingId(yaml);
        await Store.WriteTextAsync(StoreLayout.PretrainingDone(pretraining), "{}");
        var id = await _harness.SaveAsync(ExperimentPhase.Targets, yaml);

        await _harness.PublishAsync(new TargetsComputed { ExperimentId = id, Shard = "shard-000000.tar" });
        var completed = await _harness.WaitForAsync<PretrainingCompleted>(id);
        await _harness.WaitForLaunchAsync(JobSpec.Evaluation(id, 0).Name);
        var record = await _harness.WaitForRecordAsync(id, r => r.Phase == ExperimentPhase.Evaluating);

        Assert.Equal((true, StoreLayout.PretrainingEncoder(pretraining)), (completed.Reused, completed.EncoderKey));
        Assert.Equal((pretraining, true, StoreLayout.PretrainingEncoder(pretraining)), (record.PretrainingId, record.PretrainingReused, record.EncoderKey));
        Assert.DoesNotContain(_harness.Launcher.Launched, job => job.Kind == JobKinds.Pretraining);
        Assert.False(await Store.ExistsAsync(StoreLayout.PretrainingClaim(pretraining)));
    }

    [Fact]
    public async Task A_second_experiment_waits_without_a_job_for_the_one_training_their_pretraining_and_then_reuses_it()
    {
        var (pretraining, holder, waiter) = await StartHolderAndWaiterAsync();
        await _harness.PublishAsync(new TrainingProgressed { ExperimentId = holder, Step = 3, TotalSteps = 4 });
        await _harness.WaitForRecordAsync(holder, r => r.Step == 3);
        await Recovery().SweepOutboxesAsync(CancellationToken.None);
        var following = await _harness.WaitForRecordAsync(waiter, r => r.Step == 3);
        var waiting = await _harness.StatusAsync(waiter);
        // The holder's trainer finishes: its completion marker is stored, and the next sweep finds it.
        await Store.WriteTextAsync(StoreLayout.PretrainingDone(pretraining), "{}");
        await Recovery().SweepOutboxesAsync(CancellationToken.None);
        var reused = await _harness.WaitForAsync<PretrainingCompleted>(waiter);
        var record = await _harness.WaitForRecordAsync(waiter, r => r.Phase == ExperimentPhase.Evaluating);

        Assert.Equal((holder, "first"), await ClaimAsync(pretraining));
        Assert.Equal((3, 4), (following.Step, following.TotalSteps));
        Assert.Equal($"step 3 of 4, the shared pretraining trained by experiment {holder:D}", waiting.Detail);
        Assert.True(reused.Reused);
        Assert.Equal((pretraining, true, (Guid?)null), (record.PretrainingId, record.PretrainingReused, record.WaitingForPretrainingOf));
        Assert.DoesNotContain(_harness.Launcher.Launched, job => job.Name == JobSpec.Pretraining(waiter).Name);
    }

    [Fact]
    public async Task An_experiment_waiting_for_a_pretraining_whose_trainer_was_cancelled_takes_the_claim_over_and_trains_it()
    {
        var (pretraining, holder, waiter) = await StartHolderAndWaiterAsync();

        await _harness.PublishAsync(new CancelExperiment { ExperimentId = holder, Reason = "stopped" });
        await _harness.WaitForRecordAsync(holder, r => r.Phase == ExperimentPhase.Cancelled);
        await Recovery().SweepOutboxesAsync(CancellationToken.None);
        await _harness.WaitForLaunchAsync(JobSpec.Pretraining(waiter).Name);
        var record = await _harness.WaitForRecordAsync(waiter, r => r.WaitingForPretrainingOf is null);

        Assert.Equal((waiter, "second"), await ClaimAsync(pretraining));
        Assert.Equal(ExperimentPhase.Pretraining, record.Phase);
        Assert.Empty(_harness.Messages.Of<PretrainingCompleted>(waiter));
    }

    private static string PretrainingId(string yaml) => ExperimentPlan.From(SpecReader.Read(yaml)).PretrainingId;

    private async Task<(Guid, string)> ClaimAsync(string pretraining)
    {
        var claim = await Store.ReadJsonAsync<PretrainingClaimRecord>(StoreLayout.PretrainingClaim(pretraining), ObjectStoreJson.Records);
        return (claim!.ExperimentId, claim.Name);
    }

    private OrchestratorRecovery Recovery() => new(_harness.Repository, _harness.Services.GetRequiredService<IServiceScopeFactory>(), _harness.Bus,
        Options.Create(new OrchestratorOptions()), TimeProvider.System, NullLogger<OrchestratorRecovery>.Instance);

    /// <summary>"first" trains the shared pretraining; "second", with the same encoder-shaping settings, waits for it.</summary>
    private async Task<(string Pretraining, Guid Holder, Guid Waiter)> StartHolderAndWaiterAsync()
    {
        string pretraining = PretrainingId(Specs.Tiny("first"));
        var holder = await _harness.SaveAsync(ExperimentPhase.Pretraining, Specs.Tiny("first"));
        await _harness.PublishAsync(new RunPretraining { ExperimentId = holder });
        await _harness.WaitForLaunchAsync(JobSpec.Pretraining(holder).Name);
        var waiter = await _harness.SaveAsync(ExperimentPhase.Pretraining, Specs.Tiny("second"));
        await _harness.PublishAsync(new RunPretraining { ExperimentId = waiter });
        await _harness.WaitForRecordAsync(waiter, r => r.WaitingForPretrainingOf == holder);
        return (pretraining, holder, waiter);
    }
}
