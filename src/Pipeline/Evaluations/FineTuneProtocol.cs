using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation.FineTuning;
using SemanticMIM.Model;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Planning;
using static SemanticMIM.Pipeline.Evaluations.ProtocolDefaults;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>Fine-tuning of spec (f) (IN-1K protocol): the pretrained encoder only, one run per feature.</summary>
public sealed class FineTuneProtocol : IEvaluationProtocol
{
    public string Name => FineTuneDescriptor.Name;

    /// <summary>The central square, with the class label.</summary>
    public EvaluationView View => EvaluationView.CenterSquare;

    /// <summary>The fine-tuning options of an evaluation: the named recipe (default Table 3's) with its overrides.</summary>
    public static FineTuneOptions Options(EvaluationSpec evaluation, DatasetPlan dataset, int seed)
    {
        var recipe = FineTuneRecipe.Named(evaluation.Recipe.Length > 0 ? evaluation.Recipe : EvaluationRecipes.Paper);
        if (evaluation.Epochs > 0)
        {
            recipe = recipe.WithEpochs(evaluation.Epochs);
        }
        recipe = recipe with
        {
            BatchSize = Or(evaluation.BatchSize, recipe.BatchSize),
            LearningRate = evaluation.LearningRate > 0 ? evaluation.LearningRate : recipe.LearningRate,
        };
        return new FineTuneOptions
        {
            Recipe = recipe, Mean = dataset.Mean, Std = dataset.Std, ImageSize = dataset.ImageSize, Seed = (ulong)seed, Device = ComputeDevice.Default,
        };
    }

    public IReadOnlyList<EvaluationResult> Run(EvaluationContext context)
    {
        var options = Options(context.Evaluation, context.Dataset, context.Plan.Spec.Training.Seed) with { Cancellation = context.Cancellation };
        context.Step?.Invoke("fine-tuning the pretrained encoder");
        var report = ClassificationFineTuning.Run(context.Pretrained, context.Train, context.Test, context.Train.ClassCount, options);
        string recipe = report.Recipe + "; one run per feature (LN(mean of patch tokens) or LN(mean of the proxies) of the last layer); "
            + "the pretrained encoder only (no random-init control)";
        return report.Results.Select(r => context.Result(EncoderKinds.Pretrained, r, recipe)).ToList();
    }
}
