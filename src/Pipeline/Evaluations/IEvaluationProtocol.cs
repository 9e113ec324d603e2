using SemanticMIM.Contracts.Results;
using SemanticMIM.Pipeline.Loading;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>
/// The evaluator's side of one evaluation protocol; what specs may say about it is its descriptor's
/// (<see cref="Contracts.Specs.Evaluations.EvaluationProtocolDescriptor"/>, matched by <see cref="Name"/>). Registered in
/// <see cref="EvaluationProtocols"/>, it is run by the evaluation stage, which stores what it returns.
/// </summary>
public interface IEvaluationProtocol
{
    /// <summary>The spec name of the descriptor it implements.</summary>
    string Name { get; }

    /// <summary>How it sees the stored images of the evaluated data set.</summary>
    EvaluationView View { get; }

    /// <summary>Evaluates the context's pretrained encoder (and any controls) and returns every measured number.</summary>
    IReadOnlyList<EvaluationResult> Run(EvaluationContext context);
}
