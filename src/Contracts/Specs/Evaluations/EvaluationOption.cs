namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>
/// The settings of an <see cref="EvaluationSpec"/> that only some protocols read; a descriptor lists those its protocol
/// reads, and setting another is a spec error. <see cref="EvaluationSpec.Recipe"/> is governed by the descriptor's
/// named recipes instead.
/// </summary>
public enum EvaluationOption
{
    Epochs,
    Iterations,
    BatchSize,
    LearningRate,
    Layer,
    Augment,
    CropSize,
}
