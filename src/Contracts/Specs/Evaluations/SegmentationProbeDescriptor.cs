using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>Frozen patch tokens of one layer, a 1×1 convolution per pixel (spec (f), PascalVOC linear segmentation).</summary>
public sealed class SegmentationProbeDescriptor() : EvaluationProtocolDescriptor(Name, ProtocolNames.SegmentationProbe, LabelKind.LabelMaps,
    [EvaluationOption.Epochs, EvaluationOption.BatchSize, EvaluationOption.LearningRate, EvaluationOption.Layer])
{
    public const string Name = "segmentationProbe";
}
