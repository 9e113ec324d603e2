using System.Text.Json;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// Top-1 and top-5 test accuracy of every fine-tuned feature (<see cref="ProbeResult.Layer"/> = the encoder depth)
/// and the recipe's <see cref="FineTuneRecipe.Describe"/> line.
/// </summary>
public sealed record FineTuneReport(IReadOnlyList<ProbeResult> Results, string Recipe)
{
    public double Value(string feature, string metric) =>
        Results.Single(r => r.Feature == feature && r.Metric == metric).Value;

    public string ToJson() => JsonSerializer.Serialize(this, ResultJson.Options);

    public static FineTuneReport FromJson(string json) =>
        JsonSerializer.Deserialize<FineTuneReport>(json, ResultJson.Options)
        ?? throw new JsonException("the JSON holds no fine-tuning report");
}
