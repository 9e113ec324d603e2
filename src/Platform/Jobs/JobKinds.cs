namespace SemanticMIM.Platform.Jobs;

/// <summary>The kinds of job the orchestrator launches.</summary>
public static class JobKinds
{
    /// <summary>Pretrains (or resumes) an experiment's encoder: one GPU, long-running (trainer host).</summary>
    public const string Pretraining = "pretraining";

    /// <summary>Runs one evaluation protocol of an experiment's spec on its encoder (evaluator host).</summary>
    public const string Evaluation = "evaluation";

    /// <summary>Writes an experiment's results file and report from its evaluations (evaluator host).</summary>
    public const string Report = "report";

    /// <summary>Computes the token targets of a contiguous part of an experiment's training shards on a GPU (trainer host).</summary>
    public const string Tokens = "tokens";

    public static IReadOnlyList<string> All { get; } = [Pretraining, Evaluation, Report, Tokens];
}
