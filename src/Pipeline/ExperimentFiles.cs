using System.Text.Json;
using System.Text.Json.Serialization;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline;

/// <summary>An experiment's own files under <c>experiments/&lt;name&gt;/</c> besides the stage outputs.</summary>
public static class ExperimentFiles
{
    public static readonly JsonSerializerOptions SpecJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// Records the spec under the experiment's name, or checks it is the recorded one, and returns whether it
    /// may run: reusing stages of an experiment whose settings changed under the same name would silently mix
    /// two experiments.
    /// </summary>
    public static async Task<bool> ClaimAsync(StoreFiles files, ExperimentPlan plan, CancellationToken cancellation = default)
    {
        string key = StoreLayout.Key(StoreLayout.Experiment(plan.Id), StoreLayout.SpecFile);
        string json = JsonSerializer.Serialize(plan.Spec, SpecJson);
        string? stored = await files.ReadTextAsync(key, cancellation);
        if (stored is null)
        {
            await files.WriteTextAsync(key, json, cancellation);
            return true;
        }
        return stored == json;
    }
}
