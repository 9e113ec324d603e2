using System.Text.Json;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration;

/// <summary>
/// An experiment's name belongs to one spec: the spec is recorded under <c>experiments/&lt;name&gt;/spec.json</c> when
/// the name is first used, and a different spec under the same name is refused, since reusing the stages of an
/// experiment whose settings changed would silently mix two experiments.
/// </summary>
public static class ExperimentClaims
{

    /// <summary>Records the spec under its name, or checks it is the recorded one; returns whether it may run.</summary>
    public static async Task<bool> ClaimAsync(IObjectStore store, ExperimentPlan plan, CancellationToken cancellation = default)
    {
        string key = StoreLayout.Key(StoreLayout.Experiment(plan.Id), StoreLayout.SpecFile);
        string json = JsonSerializer.Serialize(plan.Spec, ObjectStoreJson.Records);
        string? stored = await store.ReadTextAsync(key, cancellation);
        if (stored is null)
        {
            await store.WriteTextAsync(key, json, cancellation);
            return true;
        }
        return stored == json;
    }
}
