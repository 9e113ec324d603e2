namespace SemanticMIM.Charts.Tests;

/// <summary>The values files every rendering test runs over (tests/Charts.Tests/values/*.yaml).</summary>
public static class RenderMatrix
{
    public const string Defaults = "default.yaml";

    public const string External = "external.yaml";

    public const string Gpu = "gpu.yaml";

    public const string Monitoring = "monitoring.yaml";

    public const string LeastPrivilege = "least-privilege.yaml";

    public const string Kueue = "kueue.yaml";

    public static TheoryData<string> All => new(Defaults, External, Gpu, Monitoring, LeastPrivilege, Kueue);

    /// <summary>The roles with a broker user of their own.</summary>
    public static readonly string[] BrokerRoles = ["orchestrator", "shard", "target", "trainer", "evaluator", "submitter"];

    /// <summary>The roles with an S3 credential of their own; each is also the component its pods are labelled with.</summary>
    public static readonly string[] Workloads = ["orchestrator", "shard", "target", "trainer", "evaluator"];

    /// <summary>The Secrets a values file names as existing (not rendered by the chart), with the keys it reads from them.</summary>
    public static IReadOnlyDictionary<string, string[]> ExistingSecrets(string valuesFile) => valuesFile switch
    {
        External => Workloads.SelectMany(role => new[] { ($"mim-broker-{role}", new[] { "uri" }), ($"mim-s3-{role}", new[] { "id", "key" }) })
            .ToDictionary(pair => pair.Item1, pair => pair.Item2),
        LeastPrivilege => new Dictionary<string, string[]>
        {
            ["mim-s3-orchestrator"] = ["access-key", "secret-key"],
            ["mim-s3-trainer"] = ["id", "key"],
            ["mim-s3-evaluator"] = ["access-key", "secret-key"],
        },
        _ => new Dictionary<string, string[]>(),
    };
}
