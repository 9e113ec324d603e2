namespace SemanticMIM.Contracts.Messages;

// Commands: each asks one service to do one unit of work. Records are the wire contract (JSON through
// MassTransit): new optional members may be added; unknown fields are ignored; required ones must be present.

/// <summary>Starts an experiment. <see cref="SpecYaml"/> is the experiment spec file's text, as for <c>semanticmim run</c>.</summary>
public sealed record StartExperiment
{
    public required Guid ExperimentId { get; init; }

    public required string SpecYaml { get; init; }

    /// <summary>Who asked, for the logs (a user name, a CI job).</summary>
    public string? RequestedBy { get; init; }
}

/// <summary>
/// Shards one split of an experiment's data set into the store: the shard service cuts it into units and sends
/// one <see cref="WriteShard"/> per shard (or reports the split as already sharded).
/// </summary>
public sealed record ShardDataset
{
    public required Guid ExperimentId { get; init; }

    public required string Split { get; init; }
}

/// <summary>Writes shard <see cref="Index"/> of <see cref="Count"/> of a split: one unit of the shard service.</summary>
public sealed record WriteShard
{
    public required Guid ExperimentId { get; init; }

    public required string Split { get; init; }

    public required int Index { get; init; }

    public required int Count { get; init; }
}

/// <summary>
/// Commits a split whose <see cref="Count"/> shards are all written: the shard service writes its manifest (the
/// split's commit marker) and announces <see cref="DatasetSharded"/>. Idempotent: a committed split is announced again.
/// </summary>
public sealed record CommitShards
{
    public required Guid ExperimentId { get; init; }

    public required string Split { get; init; }

    public required int Count { get; init; }
}

/// <summary>Computes the targets of one training shard (the tokenizer, if any, is trained by the first unit that needs it).</summary>
public sealed record ComputeTargets
{
    public required Guid ExperimentId { get; init; }

    public required string Shard { get; init; }
}

/// <summary>Runs (or resumes) pretraining of an experiment as a job.</summary>
public sealed record RunPretraining
{
    public required Guid ExperimentId { get; init; }
}

/// <summary>Runs evaluation <see cref="EvaluationIndex"/> of an experiment's spec as a job.</summary>
public sealed record RunEvaluation
{
    public required Guid ExperimentId { get; init; }

    public required int EvaluationIndex { get; init; }
}

/// <summary>Writes an experiment's results file and report as a job, once its evaluations are done.</summary>
public sealed record RunReport
{
    public required Guid ExperimentId { get; init; }
}

/// <summary>
/// Stops an experiment: its running jobs are cancelled (each keeps its last checkpoint) and it ends in
/// <see cref="ExperimentCancelled"/> with the reason.
/// </summary>
public sealed record CancelExperiment
{
    public required Guid ExperimentId { get; init; }

    public string Reason { get; init; } = "cancelled";
}

/// <summary>Asks the orchestrator for an experiment's state; answered with <see cref="ExperimentStatus"/>.</summary>
public sealed record GetExperimentStatus
{
    public required Guid ExperimentId { get; init; }
}

/// <summary>
/// Computes the token targets of part <see cref="Part"/> of <see cref="Parts"/> contiguous parts of an experiment's
/// training shards as a GPU job, which announces <see cref="TargetsComputed"/> for each of its shards.
/// </summary>
public sealed record RunTokens
{
    public required Guid ExperimentId { get; init; }

    public required int Part { get; init; }

    public required int Parts { get; init; }
}
