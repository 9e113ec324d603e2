using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Orchestration.Tests;

/// <summary>
/// Plays a sweep cell's experiment to its end as the workers and jobs would, on an <see cref="OrchestratorHarness"/>:
/// once the orchestrator has started it, its results are put in the store and the experiment is brought to its report,
/// whose <see cref="ReportWritten"/> the orchestrator turns into <see cref="ExperimentCompleted"/>.
/// </summary>
public static class SweepCellPlayer
{
    /// <summary>The store key of a cell's <c>results.json</c>, where the report job writes it.</summary>
    public static string ResultsKey(string cell) => StoreLayout.Key(StoreLayout.Experiment(cell), StoreLayout.ResultsFile);

    /// <summary>
    /// Completes the cell with <paramref name="top1"/> as its pretrained encoder's linear-probe CLS top-1 at its last layer
    /// (2), beside a better earlier layer and a control, which the sweep's default metric must pass over.
    /// </summary>
    public static async Task CompleteAsync(this OrchestratorHarness harness, SweepCellStatus cell, double top1)
    {
        // Started, and its start's messages published (so no later save of the orchestrator's overwrites the jump below).
        var record = await harness.WaitForRecordAsync(cell.ExperimentId, r => r.Phase == ExperimentPhase.Sharding && r.Outbox.Count == 0);
        List<EvaluationResult> results =
        [
            Result(EncoderKinds.Pretrained, layer: 1, top1 + 0.1),
            Result(EncoderKinds.Pretrained, layer: 2, top1),
            Result(EncoderKinds.RandomInit, layer: 2, top1 - 0.3),
        ];
        await harness.Store.WriteJsonAsync(ResultsKey(cell.Name), results, ObjectStoreJson.Records);
        await harness.Repository.SaveAsync(record with { Phase = ExperimentPhase.Reporting });
        await harness.PublishAsync(new ReportWritten
        {
            ExperimentId = cell.ExperimentId, ResultsKey = ResultsKey(cell.Name), ReportKey = $"experiments/{cell.Name}/report/report.md",
        });
    }

    private static EvaluationResult Result(string encoder, int layer, double value) => new()
    {
        Protocol = ProtocolNames.LinearProbe, Encoder = encoder, Layer = layer, Feature = "cls", Metric = "top1", Value = value,
    };
}
