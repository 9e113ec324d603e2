using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Evaluation.Reports;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Pipeline.Storage;
using SemanticMIM.Training.Tokenizers;

namespace SemanticMIM.Pipeline;

/// <summary>Everything one experiment produced, and which stages were found already done.</summary>
public sealed record ExperimentOutcome(
    ExperimentPlan Plan, ArmOutcome Arm, PretrainOutcome Pretraining, VqTokenizerReport? Tokenizer, IReadOnlyList<string> ReusedStages);

/// <summary>
/// Runs one experiment's stages in order (shard, tokenizer when needed, targets, pretrain, evaluate) over the
/// object store. Every stage is idempotent, so running an experiment again only does what is missing.
/// </summary>
public sealed class ExperimentRunner(StoreFiles files, Action<PipelineProgress>? progress = null)
{
    public const string SpecFile = "spec.json";
    public const string ResultsFile = "results.json";

    public static readonly JsonSerializerOptions SpecJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public async Task<ExperimentOutcome> RunAsync(ExperimentPlan plan, CancellationToken cancellation = default)
    {
        string id = plan.Id;
        void Report(string stage, long done, long total, string detail = "") => progress?.Invoke(new PipelineProgress(id, stage, done, total, detail));
        var reused = new List<string>();
        await ClaimExperimentAsync(plan, cancellation);

        var dataset = plan.Dataset;
        var train = await ShardStage.RunAsync(files, dataset, dataset.TrainSplit, n => Report(PipelineProgress.Shard, n, 0, dataset.TrainSplit), cancellation);
        var evaluationSplit = plan.Spec.Evaluations.Count == 0
            ? null
            : await ShardStage.RunAsync(files, dataset, dataset.EvaluationSplit, n => Report(PipelineProgress.Shard, n, 0, dataset.EvaluationSplit), cancellation);
        if (train.Reused && evaluationSplit?.Reused != false)
        {
            reused.Add(PipelineProgress.Shard);
        }
        Report(PipelineProgress.Shard, 1, 1, $"{train.Value.TotalSamples} training samples in {train.Value.Shards.Count} shards, {train.Value.Skipped.Count} skipped");

        VqTokenizerReport? tokenizerReport = null;
        IVisualTokenizer? tokenizer = null;
        try
        {
            if (!plan.Targets.IsHog)
            {
                (tokenizer, tokenizerReport) = await TokenizerAsync(plan, Report, reused, cancellation);
            }
            var targets = await TargetStage.RunAsync(files, plan.Targets, dataset, train.Value, tokenizer,
                done => Report(PipelineProgress.Targets, done, train.Value.Shards.Count), cancellation);
            if (targets.Reused)
            {
                reused.Add(PipelineProgress.Targets);
            }
            Report(PipelineProgress.Targets, train.Value.Shards.Count, train.Value.Shards.Count, $"{plan.Targets.Views} views per sample");
            (tokenizer as IDisposable)?.Dispose();
            tokenizer = null;

            var steps = plan.Training(train.Value.TotalSamples).Steps;
            var pretraining = await PretrainStage.RunAsync(files, plan, train.Value, targets.Value,
                step => Report(PipelineProgress.Pretrain, step.Step, steps, string.Create(CultureInfo.InvariantCulture, $"loss {step.Loss:F4}")), cancellation);
            if (pretraining.Reused)
            {
                reused.Add(PipelineProgress.Pretrain);
            }
            Report(PipelineProgress.Pretrain, steps, steps);

            var results = new List<EvaluationResult>();
            bool allReused = true;
            for (int i = 0; i < plan.Spec.Evaluations.Count; i++)
            {
                int index = i;
                var evaluation = await EvaluationStage.RunAsync(files, plan, i, pretraining.Value.EncoderKey,
                    detail => Report(PipelineProgress.Evaluate, index, plan.Spec.Evaluations.Count, detail), cancellation);
                results.AddRange(evaluation.Value);
                allReused &= evaluation.Reused;
            }
            if (plan.Spec.Evaluations.Count > 0 && allReused)
            {
                reused.Add(PipelineProgress.Evaluate);
            }
            Report(PipelineProgress.Evaluate, plan.Spec.Evaluations.Count, plan.Spec.Evaluations.Count);
            await files.WriteJsonAsync(StoreLayout.Key(StoreLayout.Experiment(id), ResultsFile), results, EvaluationStage.Json, cancellation);
            var arm = new ArmOutcome(id, Describe(plan, train.Value.TotalSamples), pretraining.Value.Log, results);
            return new ExperimentOutcome(plan, arm, pretraining.Value, tokenizerReport, reused);
        }
        finally
        {
            (tokenizer as IDisposable)?.Dispose();
        }
    }

    /// <summary>One line that says what an arm is: method, targets, proxies, mask ratio, model and schedule.</summary>
    public static string Describe(ExperimentPlan plan, int trainSamples)
    {
        var encoder = plan.Model.Encoder;
        var training = plan.Training(trainSamples);
        string method = plan.IsSemanticMim ? $"SemanticMIM ({encoder.NumProxies} proxies)" : $"baseline ({encoder.NumProxies} CLS)";
        string targets = plan.Targets.IsHog ? "MaskFeat (HOG)" : $"BEiT ({(plan.Spec.Target.Tokenizer == TokenizerKind.Dalle ? "DALL-E" : "VQ")} tokens, {plan.Targets.VocabSize} codes)";
        return string.Create(CultureInfo.InvariantCulture,
            $"{targets}, {method}, mask ratio {plan.Spec.Masking.Ratio:0.##}; ViT {encoder.ImageSize}/{encoder.PatchSize}, dim {encoder.EmbedDim}, depth {encoder.Depth}; "
            + $"{training.Steps} steps × {training.EffectiveBatchSize} on {trainSamples} images");
    }

    private async Task<(IVisualTokenizer, VqTokenizerReport?)> TokenizerAsync(ExperimentPlan plan, Action<string, long, long, string> report,
        List<string> reused, CancellationToken cancellation)
    {
        if (plan.Spec.Target.Tokenizer == TokenizerKind.Dalle)
        {
            var dalle = new DalleEncoder(new DalleEncoderConfig());
            dalle.LoadWeights(plan.Spec.Target.DalleWeights);
            dalle.eval();
            return (dalle, null);
        }
        string trainFolder = await files.LocalFolderAsync(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), cancellation);
        var trained = await TokenizerStage.RunAsync(files, plan.Targets, plan.Dataset, trainFolder,
            step => report(PipelineProgress.Tokenizer, step.Step, step.Steps, string.Create(CultureInfo.InvariantCulture, $"loss {step.Loss:F4}")), cancellation);
        if (trained.Reused)
        {
            reused.Add(PipelineProgress.Tokenizer);
        }
        var (tokenizer, tokenizerReport) = trained.Value;
        report(PipelineProgress.Tokenizer, tokenizerReport.Steps, tokenizerReport.Steps,
            string.Create(CultureInfo.InvariantCulture, $"{tokenizerReport.CodesUsed} of {tokenizerReport.VocabSize} codes used"));
        return (tokenizer, tokenizerReport);
    }

    /// <summary>
    /// Records the spec under the experiment, or checks it is the recorded one: reusing stages of an experiment
    /// whose settings changed under the same name would silently mix two experiments.
    /// </summary>
    private async Task ClaimExperimentAsync(ExperimentPlan plan, CancellationToken cancellation)
    {
        string key = StoreLayout.Key(StoreLayout.Experiment(plan.Id), SpecFile);
        string json = JsonSerializer.Serialize(plan.Spec, SpecJson);
        string? stored = await files.ReadTextAsync(key, cancellation);
        if (stored is null)
        {
            await files.WriteTextAsync(key, json, cancellation);
        }
        else if (stored != json)
        {
            throw new InvalidOperationException(
                $"experiment '{plan.Id}' already exists with different settings ({key}); give the spec a new name or delete that experiment");
        }
    }
}
