using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Evaluation;
using SemanticMIM.Pipeline.Evaluations;
using SemanticMIM.Pipeline.Loading;

namespace SemanticMIM.Pipeline.Tests;

/// <summary>
/// A protocol only the tests know, to show that a descriptor and an implementation, each registered, are all a
/// new protocol takes: it reads the batch size alone, needs class labels, and measures one constant.
/// </summary>
internal sealed class ConstantDescriptor() : EvaluationProtocolDescriptor(Name, "constant-result", LabelKind.ClassLabels, [EvaluationOption.BatchSize])
{
    public const string Name = "constant";
    public const double Value = 0.5;

    /// <summary>Registers the descriptor and its implementation; safe to call from every test that needs them.</summary>
    public static void Register()
    {
        EvaluationProtocolDescriptors.Register(new ConstantDescriptor());
        EvaluationProtocols.Register(new ConstantProtocol());
    }
}

internal sealed class ConstantProtocol : IEvaluationProtocol
{
    public string Name => ConstantDescriptor.Name;

    public EvaluationView View => EvaluationView.CenterSquare;

    public IReadOnlyList<EvaluationResult> Run(EvaluationContext context) =>
        [context.Result(EncoderKinds.Pretrained, new ProbeResult(context.Pretrained.Config.Depth, FeatureNames.Cls, ProbeMetrics.Top1, ConstantDescriptor.Value), "a constant")];
}
