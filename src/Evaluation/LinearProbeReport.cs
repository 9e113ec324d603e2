using System.Text.Json;

namespace SemanticMIM.Evaluation;

/// <summary>Top-1 and top-5 test accuracy of every probe head, and the epochs they trained for.</summary>
public sealed record LinearProbeReport(IReadOnlyList<ProbeResult> Results, int Epochs)
{
    public double Value(int layer, string feature, string metric) =>
        Results.Single(r => r.Layer == layer && r.Feature == feature && r.Metric == metric).Value;

    public string ToJson() => JsonSerializer.Serialize(this, ResultJson.Options);

    public static LinearProbeReport FromJson(string json) =>
        JsonSerializer.Deserialize<LinearProbeReport>(json, ResultJson.Options)
        ?? throw new JsonException("the JSON holds no linear-probe report");
}
