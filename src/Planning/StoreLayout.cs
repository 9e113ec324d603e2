using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Planning;

/// <summary>
/// Object-store keys (architecture §4): <c>datasets/&lt;id&gt;/&lt;split&gt;/…</c>, <c>targets/&lt;dataset&gt;/&lt;kind&gt;/…</c>,
/// <c>pretraining/&lt;pretraining id&gt;/…</c> (shared by every experiment whose <see cref="ExperimentPlan.PretrainingId"/>
/// agrees), <c>experiments/&lt;name&gt;/…</c>. Every key is validated, so no name from a spec can escape the store.
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

    /// <summary>A pretraining's checkpoints, training log, encoder, claim and completion marker: <c>pretraining/&lt;id&gt;/</c>.</summary>
    public static string Pretraining(string pretrainingId) => ObjectKey.Join("pretraining", pretrainingId);

    public static string PretrainingCheckpoints(string pretrainingId) => ObjectKey.Join("pretraining", pretrainingId, "checkpoints");

    /// <summary>The encoder kept after pretraining, which every evaluation of the experiments sharing it reads.</summary>
    public static string PretrainingEncoder(string pretrainingId) => ObjectKey.Join("pretraining", pretrainingId, "encoder.safetensors");

    /// <summary>The loss, learning rate and gradient norm per step, which the reports plot.</summary>
    public static string PretrainingLog(string pretrainingId) => ObjectKey.Join("pretraining", pretrainingId, "training-log.json");

    /// <summary>Written last, once the encoder is stored: while it exists the pretraining is complete and is not run again.</summary>
    public static string PretrainingDone(string pretrainingId) => ObjectKey.Join("pretraining", pretrainingId, "done.json");

    /// <summary>Which experiment trains the pretraining now (the orchestrator's claim), so that no second one trains it at once.</summary>
    public static string PretrainingClaim(string pretrainingId) => ObjectKey.Join("pretraining", pretrainingId, "claim.json");

    public static string Results(string experimentId) => ObjectKey.Join("experiments", experimentId, "results");

    /// <summary>A sweep's report: <c>sweeps/&lt;name&gt;/</c>.</summary>
    public static string Sweep(string sweepName) => ObjectKey.Join("sweeps", sweepName);

    public static string Key(string prefix, string name) => ObjectKey.Validate($"{prefix}/{name}");
}
