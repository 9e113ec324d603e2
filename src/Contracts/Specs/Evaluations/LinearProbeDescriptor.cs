using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>Frozen encoder, one linear classifier per layer and feature (spec (f), IN-1K linear probe).</summary>
public sealed class LinearProbeDescriptor() : EvaluationProtocolDescriptor(Name, ProtocolNames.LinearProbe, LabelKind.ClassLabels,
    [EvaluationOption.Epochs, EvaluationOption.BatchSize, EvaluationOption.LearningRate, EvaluationOption.Layer, EvaluationOption.Augment])
{
    public const string Name = "linearProbe";
}
