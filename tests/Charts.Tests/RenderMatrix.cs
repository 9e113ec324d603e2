namespace SemanticMIM.Charts.Tests;

/// <summary>The values files every rendering test runs over (tests/Charts.Tests/values/*.yaml).</summary>
public static class RenderMatrix
{
    public const string Defaults = "default.yaml";

    public const string External = "external.yaml";

    public const string Gpu = "gpu.yaml";

    public const string Monitoring = "monitoring.yaml";

    public static TheoryData<string> All => new(Defaults, External, Gpu, Monitoring);

    /// <summary>The Secrets a values file names as existing (not rendered by the chart), with the keys it reads from them.</summary>
    public static IReadOnlyDictionary<string, string[]> ExistingSecrets(string valuesFile) => valuesFile switch
    {
        External => new Dictionary<string, string[]> { ["mim-broker"] = ["uri"], ["mim-s3"] = ["id", "key"] },
        _ => new Dictionary<string, string[]>(),
    };
}
