using System.Text.Json;

namespace SemanticMIM.Evaluation;

/// <summary>The one JSON form of every evaluation result: camelCase names, indented.</summary>
public static class ResultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };
}
