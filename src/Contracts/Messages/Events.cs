using SemanticMIM.Contracts.Results;

namespace SemanticMIM.Contracts.Messages;

/// <summary>The spec was valid; the experiment runs under <see cref="Name"/>.</summary>
public sealed record ExperimentAccepted
{
    public required Guid ExperimentId { get; init; }

    public required string Name { get; init; }
}

/// <summary>The request was invalid; nothing was started. Every problem is listed.</summary>
public sealed record ExperimentRejected
{
    public required Guid ExperimentId { get; init; }

    public required IReadOnlyList<string> Problems { get; init; }
}

/// <summary>One shard of a split was written (or found written).</summary>
public sealed record ShardWritten
{
    public required Guid ExperimentId { get; init; }

    public required string Split { get; init; }

    public required int Index { get; init; }

    public required int Count { get; init; }

    public int Samples { get; init; }

    public bool Reused { get; init; }
}

/// <summary>A split is sharded: its manifest, the commit marker, is in the store.</summary>
public sealed record DatasetSharded
{
    public required Guid ExperimentId { get; init; }

    public required string Split { get; init; }

    public required int Samples { get; init; }

    public required IReadOnlyList<string> Shards { get; init; }

    public int Skipped { get; init; }

    /// <summary>The verified shards were already in the store; nothing was redone.</summary>
    public bool Reused { get; init; }
}

public sealed record TargetsComputed
{
    public required Guid ExperimentId { get; init; }

    public required string Shard { get; init; }

    /// <summary>The shard's target file was already in the store.</summary>
    public bool Reused { get; init; }
}

public sealed record TrainingProgressed
{
    public required Guid ExperimentId { get; init; }

    public required int Step { get; init; }

    public required int TotalSteps { get; init; }

    public double Loss { get; init; }

    public double LearningRate { get; init; }

    public double ImagesPerSecond { get; init; }
}

public sealed record CheckpointSaved
{
    public required Guid ExperimentId { get; init; }

    public required int Step { get; init; }

    public required string Key { get; init; }
}

public sealed record PretrainingCompleted
{
    public required Guid ExperimentId { get; init; }

    public required string EncoderKey { get; init; }

    /// <summary>Pretraining was already complete in the store.</summary>
    public bool Reused { get; init; }

    /// <summary>The step this run resumed from (0 for a fresh run).</summary>
    public int ResumedFromStep { get; init; }

    /// <summary>Share of the training time the step waited for data.</summary>
    public double DataWaitShare { get; init; }
}

public sealed record EvaluationCompleted
{
    public required Guid ExperimentId { get; init; }

    public required int EvaluationIndex { get; init; }

    public required IReadOnlyList<EvaluationResult> Results { get; init; }

    /// <summary>The results were already in the store.</summary>
    public bool Reused { get; init; }
}

/// <summary>The report job wrote an experiment's <c>results.json</c> and its report.</summary>
public sealed record ReportWritten
{
    public required Guid ExperimentId { get; init; }

    /// <summary>Object-store key of <c>results.json</c>.</summary>
    public required string ResultsKey { get; init; }

    /// <summary>Object-store key of the report's Markdown file.</summary>
    public required string ReportKey { get; init; }
}

public sealed record ExperimentCompleted
{
    public required Guid ExperimentId { get; init; }

    public required string Name { get; init; }

    /// <summary>Object-store key of <c>results.json</c>.</summary>
    public required string ResultsKey { get; init; }

    public string? ReportKey { get; init; }
}

public sealed record ExperimentFailed
{
    public required Guid ExperimentId { get; init; }

    /// <summary>The stage that failed (shard, targets, pretrain, evaluate, report) or the cause (timeout).</summary>
    public required string Stage { get; init; }

    public required string Reason { get; init; }
}

/// <summary>An experiment was cancelled (<see cref="CancelExperiment"/>): its jobs were asked to stop.</summary>
public sealed record ExperimentCancelled
{
    public required Guid ExperimentId { get; init; }

    public required string Reason { get; init; }
}

/// <summary>The orchestrator's answer to <see cref="GetExperimentStatus"/>.</summary>
public sealed record ExperimentStatus
{
    public required Guid ExperimentId { get; init; }

    /// <summary>unknown, running, completed, failed, cancelled or rejected.</summary>
    public required string State { get; init; }

    public string? Name { get; init; }

    public string? Stage { get; init; }

    public string? Detail { get; init; }
}
