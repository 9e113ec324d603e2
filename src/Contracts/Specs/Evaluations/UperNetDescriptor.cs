using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>Encoder, feature pyramid and UPerHead trained end to end (spec (f), ADE20K UperNet).</summary>
public sealed class UperNetDescriptor() : EvaluationProtocolDescriptor(Name, ProtocolNames.UperNet, LabelKind.LabelMaps,
    [EvaluationOption.Iterations, EvaluationOption.BatchSize, EvaluationOption.LearningRate, EvaluationOption.CropSize],
    [EvaluationRecipes.Paper, EvaluationRecipes.Tiny])
{
    /// <summary>The spelling specs have always been stored with (the camelCase enum value); <c>upernet</c> reads the same.</summary>
    public const string Name = "uperNet";

    public override IEnumerable<SpecProblem> Validate(EvaluationSpec evaluation, string at)
    {
        if (evaluation.BatchSize == 1)
        {
            yield return new SpecProblem($"{at}.batchSize",
                "UperNet needs at least 2 images per batch (its batch norms after pyramid pooling see one value per channel and image)");
        }
    }
}
