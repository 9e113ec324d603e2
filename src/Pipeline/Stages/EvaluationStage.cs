using System.Text.Json;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Pipeline.Evaluations;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Runs one evaluation of a spec (spec (f)) on the pretrained encoder: the protocol registered in
/// <see cref="EvaluationProtocols"/> under the evaluation's protocol name, which for the probes measures the controls the
/// same way (the same architecture randomly initialised, and for classification the raw pixels). An evaluation
/// on another data set shards it first (reusing verified shards). Results go to
/// <c>experiments/&lt;id&gt;/results/&lt;n&gt;-&lt;protocol&gt;.json</c>; an existing result file is reused.
/// </summary>
public static class EvaluationStage
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string ResultKey(ExperimentPlan plan, int index, EvaluationSpec evaluation) =>
        StoreLayout.Key(StoreLayout.Results(plan.Id), $"{index}-{EvaluationProtocolDescriptors.Get(evaluation.Protocol).ResultName}.json");

    public static async Task<StageResult<IReadOnlyList<EvaluationResult>>> RunAsync(StoreFiles files, ExperimentPlan plan, int index,
        string encoderKey, Action<string>? step = null, CancellationToken cancellation = default)
    {
        var evaluation = plan.Spec.Evaluations[index];
        string key = ResultKey(plan, index, evaluation);
        var stored = await files.ReadJsonAsync<List<EvaluationResult>>(key, Json, cancellation);
        if (stored is not null)
        {
            return new(stored, Reused: true);
        }
        var protocol = EvaluationProtocols.Get(evaluation.Protocol);
        var dataset = plan.EvaluationDataset(index);
        if (dataset.Id != plan.Dataset.Id)
        {
            foreach (var split in new[] { dataset.TrainSplit, dataset.EvaluationSplit })
            {
                step?.Invoke($"sharding {dataset.Id}/{split}");
                await ShardStage.RunAsync(files, dataset, split, cancellation: cancellation);
            }
        }
        var train = new ShardImages(await files.LocalFolderAsync(StoreLayout.DatasetSplit(dataset.Id, dataset.TrainSplit), cancellation), dataset, protocol.View);
        var test = new ShardImages(await files.LocalFolderAsync(StoreLayout.DatasetSplit(dataset.Id, dataset.EvaluationSplit), cancellation), dataset, protocol.View);
        using var pretrained = ModelCheckpoint.LoadEncoder(await files.LocalFileAsync(encoderKey, cancellation));
        var context = new EvaluationContext(plan, evaluation, EvaluationProtocolDescriptors.Get(evaluation.Protocol), dataset, train, test, pretrained, encoderKey, step, cancellation,
            files.ScratchFolder(key));
        var results = protocol.Run(context);
        await files.WriteJsonAsync(key, results, Json, cancellation);
        return new(results, Reused: false);
    }
}
