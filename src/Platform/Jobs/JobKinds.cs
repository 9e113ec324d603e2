namespace SemanticMIM.Platform.Jobs;

/// <summary>The kinds of job the orchestrator launches.</summary>
public static class JobKinds
{
    /// <summary>Pretrains (or resumes) an experiment's encoder: one GPU, long-running.</summary>
    public const string Pretraining = "pretraining";

    /// <summary>Runs one evaluation protocol of an experiment's spec on its encoder.</summary>
    public const string Evaluation = "evaluation";

    public static IReadOnlyList<string> All { get; } = [Pretraining, Evaluation];
}
