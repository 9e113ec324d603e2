using System.Text.Json;
using System.Text.Json.Nodes;
using SemanticMIM.Platform.Jobs.Kubernetes;

namespace SemanticMIM.Platform.Kubernetes.Tests.Fakes;

public static class TestSupport
{
    public const string Namespace = "semanticmim";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The chart's rendered templates (TestData/*.yaml, copied next to the test assembly).</summary>
    public static string TemplatePath(string kind) => Path.Combine(AppContext.BaseDirectory, "TestData", kind + ".yaml");

    /// <summary>Options for the fake: its namespace, the chart's templates, fast retries and reconnections.</summary>
    public static KubernetesJobsOptions JobsOptions() => new()
    {
        Launcher = KubernetesJobsOptions.KubernetesLauncher,
        Namespace = Namespace,
        Templates = new KubernetesJobTemplates { Pretraining = TemplatePath("pretraining"), Evaluation = TemplatePath("evaluation"), Tokens = TemplatePath("tokens") },
        Api = new KubernetesApiResilienceOptions
        {
            MaxRetryAttempts = 4,
            BaseDelay = TimeSpan.FromMilliseconds(10),
            MaxDelay = TimeSpan.FromMilliseconds(50),
            AttemptTimeout = TimeSpan.FromSeconds(3),
        },
        Watcher = new KubernetesJobWatcherOptions
        {
            MinBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
            WatchTimeoutSeconds = 60,
        },
    };

    /// <summary>
    /// <see cref="JobsOptions"/> with the chart's templates rendered with Kueue on (TestData/kueue-*.yaml): every Job
    /// suspended; pretraining and tokens Jobs in LocalQueue <c>gpu-batch</c>, evaluation and report Jobs in
    /// <c>cpu-batch</c>; WorkloadPriorityClass <c>sweep-low</c>, <c>tokens-high</c> for tokens Jobs.
    /// </summary>
    public static KubernetesJobsOptions KueueJobsOptions()
    {
        var options = JobsOptions();
        options.Templates = new KubernetesJobTemplates
        {
            Pretraining = TemplatePath("kueue-pretraining"), Evaluation = TemplatePath("kueue-evaluation"), Tokens = TemplatePath("kueue-tokens"),
        };
        return options;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> (default <see cref="Timeout"/>) passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }

    /// <summary>JSON with every object's properties sorted, indented: equal for equal documents, readable in a diff.</summary>
    public static string Canonical(JsonNode? node) => Sort(node)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";

    static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sort).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };
}
