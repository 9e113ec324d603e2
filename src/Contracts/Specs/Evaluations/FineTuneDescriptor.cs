using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>The whole encoder and a linear head trained end to end (spec (f), IN-1K fine-tuning).</summary>
public sealed class FineTuneDescriptor() : EvaluationProtocolDescriptor(Name, ProtocolNames.FineTune, LabelKind.ClassLabels,
    [EvaluationOption.Epochs, EvaluationOption.BatchSize, EvaluationOption.LearningRate],
    [EvaluationRecipes.Paper, EvaluationRecipes.BeitCode, EvaluationRecipes.MaskFeatCode])
{
    public const string Name = "fineTune";
}
