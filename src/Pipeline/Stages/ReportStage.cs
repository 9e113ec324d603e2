using SemanticMIM.Contracts.Results;
using SemanticMIM.Data.Shards;
using SemanticMIM.Evaluation.Reports;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>Where an experiment's report went: its results file and the report's Markdown file.</summary>
public sealed record ReportKeys(string ResultsKey, string ReportKey);

/// <summary>
/// The reports, from what the store holds: an experiment's own (<c>experiments/&lt;name&gt;/results.json</c> from its
/// evaluations' result files, and <c>report/report.md</c> with its plots), written by the report job, and the
/// comparison of several experiments (<c>reports/&lt;name&gt;/</c>), written by <c>semanticmim run</c>. Both read every
/// arm the same way (<see cref="ReadArmAsync"/>).
/// </summary>
public static class ReportStage
{
    public const string ReportFile = "report.md";

    /// <summary>Collects the evaluations' results into <c>results.json</c> and writes the experiment's report.</summary>
    /// <exception cref="InvalidDataException">An evaluation's result file or the training manifest is missing.</exception>
    public static async Task<ReportKeys> WriteExperimentReportAsync(StoreFiles files, ExperimentPlan plan, CancellationToken cancellation = default)
    {
        var results = new List<EvaluationResult>();
        for (int i = 0; i < plan.Spec.Evaluations.Count; i++)
        {
            string key = EvaluationStage.ResultKey(plan, i, plan.Spec.Evaluations[i]);
            results.AddRange(await files.ReadJsonAsync<List<EvaluationResult>>(key, EvaluationStage.Json, cancellation)
                ?? throw new InvalidDataException($"evaluation {i} of {plan.Id} has no results at {key}"));
        }
        string resultsKey = ResultsKey(plan);
        await files.WriteJsonAsync(resultsKey, results, EvaluationStage.Json, cancellation);
        string reportPrefix = StoreLayout.Key(StoreLayout.Experiment(plan.Id), "report");
        var arm = await ReadArmAsync(files, plan, cancellation);
        await WriteAsync(files, reportPrefix, $"SemanticMIM experiment report: {plan.Id}", [arm], "", cancellation);
        return new ReportKeys(resultsKey, StoreLayout.Key(reportPrefix, ReportFile));
    }

    /// <summary>Compares experiments that completed, under <c>reports/&lt;<paramref name="name"/>&gt;/</c>; returns the arms and the report's key.</summary>
    public static async Task<(IReadOnlyList<ArmOutcome> Arms, string ReportKey)> WriteComparisonReportAsync(StoreFiles files,
        IReadOnlyList<ExperimentPlan> plans, string name, string notes, CancellationToken cancellation = default)
    {
        var arms = new List<ArmOutcome>();
        foreach (var plan in plans)
        {
            arms.Add(await ReadArmAsync(files, plan, cancellation));
        }
        string prefix = StoreLayout.Key("reports", name);
        await WriteAsync(files, prefix, $"SemanticMIM experiment report: {name}", arms, notes, cancellation);
        return (arms, StoreLayout.Key(prefix, ReportFile));
    }

    /// <summary>
    /// Summarises a sweep whose cells completed (each cell's <c>results.json</c>) and writes its report under
    /// <c>sweeps/&lt;name&gt;/</c>; returns the summary and the report's key.
    /// </summary>
    public static async Task<(SweepSummary Summary, string ReportKey)> WriteSweepReportAsync(StoreFiles files, SweepPlan sweep,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var outcomes = new List<SweepCellOutcome>();
        foreach (var (cell, plan) in sweep.Cells)
        {
            var results = await files.ReadJsonAsync<List<EvaluationResult>>(ResultsKey(plan), EvaluationStage.Json, cancellation) ?? [];
            outcomes.Add(new SweepCellOutcome(cell, plan.Targets.Id, plan.PretrainingId, results, await CostAsync(files, plan, cancellation)));
        }
        var summary = SweepSummary.Of(sweep.Sweep, outcomes);
        string prefix = StoreLayout.Sweep(sweep.Sweep.Name);
        await UploadAsync(files, prefix, folder => SweepReport.Write(folder, sweep.Sweep, summary), cancellation);
        return (summary, StoreLayout.Key(prefix, ReportFile));
    }

    /// <summary>
    /// An arm as the store holds it: its results, its pretraining's training log, and a line that says what it is and which
    /// pretraining it evaluated (and which experiment trained it, when that was another).
    /// </summary>
    public static async Task<ArmOutcome> ReadArmAsync(StoreFiles files, ExperimentPlan plan, CancellationToken cancellation = default)
    {
        var results = await files.ReadJsonAsync<List<EvaluationResult>>(ResultsKey(plan), EvaluationStage.Json, cancellation) ?? [];
        var log = await files.ReadJsonAsync<List<TrainingPoint>>(StoreLayout.PretrainingLog(plan.PretrainingId), PretrainStage.LogJson, cancellation) ?? [];
        string manifestKey = StoreLayout.Key(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), ShardManifest.FileName);
        string manifest = await files.ReadTextAsync(manifestKey, cancellation)
            ?? throw new InvalidDataException($"the training manifest of {plan.Id} is missing at {manifestKey}");
        var done = await PretrainStage.ReadDoneAsync(files, plan, cancellation);
        string pretraining = done is null || done.TrainedBy == plan.Id ? $"pretraining {plan.PretrainingId}" : $"pretraining {plan.PretrainingId}, reused from {done.TrainedBy}";
        return new ArmOutcome(plan.Id, $"{plan.Describe(ShardManifest.FromJson(manifest).TotalSamples)}; {pretraining}", log, results);
    }

    /// <summary>What an experiment's targets and pretraining cost, from its training log and its target set in the store.</summary>
    public static async Task<SweepCellCost> CostAsync(StoreFiles files, ExperimentPlan plan, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var log = await files.ReadJsonAsync<List<TrainingPoint>>(StoreLayout.PretrainingLog(plan.PretrainingId), PretrainStage.LogJson, cancellation) ?? [];
        var (bytes, seconds) = await TargetStage.CostAsync(files, plan.Targets, plan.Dataset, cancellation);
        return SweepCellCost.Of(log, plan.Spec.Training.BatchSize * plan.Spec.Training.Accumulation, bytes, seconds);
    }

    public static string ResultsKey(ExperimentPlan plan) => StoreLayout.Key(StoreLayout.Experiment(plan.Id), StoreLayout.ResultsFile);

    private static Task WriteAsync(StoreFiles files, string prefix, string title, IReadOnlyList<ArmOutcome> arms, string notes,
        CancellationToken cancellation) =>
        UploadAsync(files, prefix, folder => ExperimentReport.Write(folder, title, arms, notes), cancellation);

    // Written to a scratch folder, then uploaded with report.md last, so that a report whose Markdown is there is complete.
    private static async Task UploadAsync(StoreFiles files, string prefix, Action<string> write, CancellationToken cancellation)
    {
        string scratch = files.ScratchFolder(prefix);
        write(scratch);
        await files.UploadFolderAsync(scratch, prefix, ReportFile, cancellation);
        Directory.Delete(scratch, recursive: true);
    }
}
