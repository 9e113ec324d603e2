using SemanticMIM.Contracts.Storage;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration;

/// <summary>What an experiment's pretraining phase does, as <see cref="PretrainingClaims.ClaimAsync"/> decided it.</summary>
public abstract record PretrainingClaim
{
    private PretrainingClaim()
    {
    }

    /// <summary>The pretraining's completion marker is in the store: no job, the experiment moves on to its evaluations.</summary>
    public sealed record Complete : PretrainingClaim;

    /// <summary>The experiment holds the claim: its trainer job trains the pretraining, or resumes it from its checkpoints.</summary>
    public sealed record Claimed : PretrainingClaim;

    /// <summary>Another unfinished experiment, <paramref name="Holder"/>, trains it now: the experiment waits for it.</summary>
    public sealed record HeldBy(ExperimentRecord Holder) : PretrainingClaim;
}

/// <summary>The claim object, <c>pretraining/&lt;id&gt;/claim.json</c>: the experiment that trains the pretraining.</summary>
public sealed record PretrainingClaimRecord(Guid ExperimentId, string Name);

/// <summary>
/// One experiment at a time trains a pretraining that several share (<see cref="ExperimentPlan.PretrainingId"/>): the first
/// to reach its pretraining phase records itself in the claim object and launches the trainer; the others wait until the
/// completion marker is there, or take the claim over once its holder ended without completing it (failed, cancelled) and
/// resume from its checkpoints. A claim rather than two trainers on the same keys: on a GPU two runs of one pretraining do
/// not give bit-identical weights, so a checkpoint could pair one trainer's files with the other's manifest, and an
/// evaluation could read an encoder the other trainer then replaced. The store has no conditional write, so the claims are
/// decided one at a time here, in the orchestrator, of which only one consumes at a time (the leader, when replicated).
/// </summary>
public sealed class PretrainingClaims(IObjectStore store, ExperimentRepository repository) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Decides the pretraining phase of experiment <paramref name="experimentId"/>, recording its claim when it trains.</summary>
    public async Task<PretrainingClaim> ClaimAsync(ExperimentPlan plan, Guid experimentId, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(plan);
        await _gate.WaitAsync(cancellation);
        try
        {
            if (await store.ExistsAsync(StoreLayout.PretrainingDone(plan.PretrainingId), cancellation))
            {
                return new PretrainingClaim.Complete();
            }
            string key = StoreLayout.PretrainingClaim(plan.PretrainingId);
            var claim = await store.ReadJsonAsync<PretrainingClaimRecord>(key, ObjectStoreJson.Records, cancellation);
            if (claim is not null && claim.ExperimentId != experimentId
                && await repository.FindAsync(claim.ExperimentId, cancellation) is { IsFinished: false } holder)
            {
                return new PretrainingClaim.HeldBy(holder);
            }
            if (claim?.ExperimentId != experimentId)
            {
                await store.WriteJsonAsync(key, new PretrainingClaimRecord(experimentId, plan.Id), ObjectStoreJson.Records, cancellation);
            }
            return new PretrainingClaim.Claimed();
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
