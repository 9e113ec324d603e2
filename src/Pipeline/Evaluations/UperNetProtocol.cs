using System.Globalization;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation;
using SemanticMIM.Evaluation.Segmentation;
using SemanticMIM.Model;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Planning;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>UperNet fine-tuning of spec (f) (ADE20K protocol): the pretrained encoder only.</summary>
public sealed class UperNetProtocol : IEvaluationProtocol
{
    public string Name => UperNetDescriptor.Name;

    /// <summary>The central 4:3 window at height S, ADE20K's usual shape, for sliding windows.</summary>
    public EvaluationView View => EvaluationView.Landscape;

    /// <summary>The UperNet options of an evaluation: the named recipe (default the paper's) with its overrides.</summary>
    public static UperNetOptions Options(EvaluationSpec evaluation, DatasetPlan dataset, int seed) => new()
    {
        Recipe = UperNetRecipe.Named(evaluation.Recipe.Length > 0 ? evaluation.Recipe : EvaluationRecipes.Paper),
        CropSize = evaluation.CropSize > 0 ? evaluation.CropSize : dataset.ImageSize,
        Iterations = evaluation.Iterations > 0 ? evaluation.Iterations : null,
        BatchSize = evaluation.BatchSize > 0 ? evaluation.BatchSize : null,
        LearningRate = evaluation.LearningRate > 0 ? evaluation.LearningRate : null,
        Mean = dataset.Mean.Select(m => (double)m).ToArray(),
        Std = dataset.Std.Select(s => (double)s).ToArray(),
        // The readers already map ADE20K's 0 ("other") to the ignore index and shift the classes down.
        ReduceZeroLabel = false,
        Seed = (ulong)seed,
        Device = ComputeDevice.Default,
    };

    public IReadOnlyList<EvaluationResult> Run(EvaluationContext context)
    {
        var options = Options(context.Evaluation, context.Dataset, context.Plan.Spec.Training.Seed) with { Cancellation = context.Cancellation };
        context.Step?.Invoke("UperNet fine-tuning of the pretrained encoder");
        var report = UperNetSegmentation.Run(context.Pretrained, context.Train, context.Test, context.Train.ClassCount, options);
        string recipe = report.Recipe + string.Create(CultureInfo.InvariantCulture,
            $"; pyramid from blocks {string.Join(", ", report.Taps.Select(tap => tap + 1))} of {context.Pretrained.Config.Depth}; images are the central 4:3 window of each image at height {context.Dataset.ImageSize} ")
            + "(the reference keeps the whole image); the pretrained encoder only (no random-init control)";
        int depth = context.Pretrained.Config.Depth;
        return
        [
            context.Result(EncoderKinds.Pretrained, new ProbeResult(depth, FeatureNames.Patch, ProbeMetrics.MeanIoU, report.Metrics.MeanIoU), recipe),
            context.Result(EncoderKinds.Pretrained, new ProbeResult(depth, FeatureNames.Patch, ProbeMetrics.PixelAccuracy, report.Metrics.PixelAccuracy), recipe),
        ];
    }
}
