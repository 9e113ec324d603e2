namespace SemanticMIM.Pipeline.Stages;

/// <summary>A stage's output and whether it was found already done (and verified) instead of computed.</summary>
public sealed record StageResult<T>(T Value, bool Reused);
