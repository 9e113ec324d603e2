using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Planning;

/// <summary>
/// Object-store keys (architecture §4): <c>datasets/&lt;id&gt;/&lt;split&gt;/…</c>, <c>targets/&lt;dataset&gt;/&lt;kind&gt;/…</c>,
/// <c>experiments/&lt;id&gt;/…</c>. Every key is validated, so no name from a spec can escape the store.
/// </summary>
public static class StoreLayout
{
    /// <summary>The spec an experiment's name was claimed with, under <see cref="Experiment"/>.</summary>
    public const string SpecFile = "spec.json";

    /// <summary>Every evaluation result of an experiment, under <see cref="Experiment"/>.</summary>
    public const string ResultsFile = "results.json";

    public static string DatasetSplit(string datasetId, string split) => ObjectKey.Join("datasets", datasetId, split);

    public static string Targets(string datasetId, string targetId) => ObjectKey.Join("targets", datasetId, targetId);

    public static string Tokenizer(string datasetId, string tokenizerId) => ObjectKey.Join("targets", datasetId, tokenizerId);

    public static string Experiment(string experimentId) => ObjectKey.Join("experiments", experimentId);

    public static string Checkpoints(string experimentId) => ObjectKey.Join("experiments", experimentId, "checkpoints");

    public static string Results(string experimentId) => ObjectKey.Join("experiments", experimentId, "results");

    /// <summary>A sweep's report: <c>sweeps/&lt;name&gt;/</c>.</summary>
    public static string Sweep(string sweepName) => ObjectKey.Join("sweeps", sweepName);

    public static string Key(string prefix, string name) => ObjectKey.Validate($"{prefix}/{name}");
}
