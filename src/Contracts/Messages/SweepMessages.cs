namespace SemanticMIM.Contracts.Messages;

// A sweep's commands and events: the orchestrator runs each cell as an experiment (StartExperiment with an id derived
// from the sweep's and the cell's name) and follows it through the experiment events it publishes anyway.

/// <summary>
/// Runs a sweep on the platform. <see cref="SweepYaml"/> is the sweep file's text; when its <c>base</c> names a spec
/// file, <see cref="BaseSpecYaml"/> holds that file's text (the orchestrator cannot read the submitter's files).
/// </summary>
public sealed record StartSweep
{
    public required Guid SweepId { get; init; }

    public required string SweepYaml { get; init; }

    public string? BaseSpecYaml { get; init; }

    /// <summary>Who asked, for the logs (a user name, a CI job).</summary>
    public string? RequestedBy { get; init; }
}

/// <summary>Stops a sweep: its running cells are cancelled as experiments, its queued cells never start.</summary>
public sealed record CancelSweep
{
    public required Guid SweepId { get; init; }

    public string Reason { get; init; } = "cancelled";
}

/// <summary>Writes a sweep's report (Markdown, JSON, plots under <c>sweeps/&lt;name&gt;/</c>) once every cell has ended.</summary>
public sealed record WriteSweepReport
{
    public required Guid SweepId { get; init; }
}

/// <summary>The names <see cref="SweepCellStatus.State"/> takes, as the events, the CLI and the metrics' <c>state</c> label use them.</summary>
public static class SweepCellStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static IReadOnlyList<string> All { get; } = [Queued, Running, Completed, Failed, Cancelled];
}

/// <summary>One cell of a sweep as it stands: its experiment, what it sets, and, once it completed, the sweep's metric.</summary>
public sealed record SweepCellStatus
{
    public required string Name { get; init; }

    public required Guid ExperimentId { get; init; }

    /// <summary>The arm's name, empty for a sweep without arms.</summary>
    public required string Arm { get; init; }

    /// <summary>The axes' values, as <c>model.proxies=4, masking.ratio=0.6</c>; empty for a sweep without axes.</summary>
    public required string Point { get; init; }

    public required int Seed { get; init; }

    /// <summary>One of <see cref="SweepCellStates.All"/>.</summary>
    public required string State { get; init; }

    /// <summary>The sweep's metric for this cell, once it completed (null when its results lack it).</summary>
    public double? Value { get; init; }

    /// <summary>Why the cell failed or was cancelled.</summary>
    public string? Reason { get; init; }
}

/// <summary>The sweep was valid: its cells are queued and the first ones started.</summary>
public sealed record SweepAccepted
{
    public required Guid SweepId { get; init; }

    public required string Name { get; init; }

    public required int Cells { get; init; }

    /// <summary>Cells run at once (the sweep's <c>concurrency</c>; 0 = all at once).</summary>
    public required int Concurrency { get; init; }
}

/// <summary>The sweep was invalid; no cell was started. Every problem is listed.</summary>
public sealed record SweepRejected
{
    public required Guid SweepId { get; init; }

    public required IReadOnlyList<string> Problems { get; init; }
}

/// <summary>Every cell of a sweep as it stands, published whenever a cell starts or ends.</summary>
public sealed record SweepProgressed
{
    public required Guid SweepId { get; init; }

    public required string Name { get; init; }

    public required IReadOnlyList<SweepCellStatus> Cells { get; init; }
}

/// <summary>The cells that differ only in their seed: the metric's mean and 95% t-interval over their seeds.</summary>
public sealed record SweepGroupResult
{
    public required string Label { get; init; }

    /// <summary>Cells of the group with a value.</summary>
    public required int Count { get; init; }

    public double? Mean { get; init; }

    /// <summary>The 95% Student-t interval's bounds; null with fewer than two values.</summary>
    public double? Low { get; init; }

    public double? High { get; init; }
}

/// <summary>A sweep's report is written (by the target service, which holds the report code).</summary>
public sealed record SweepReportWritten
{
    public required Guid SweepId { get; init; }

    /// <summary>Object-store key of the report's Markdown file.</summary>
    public required string ReportKey { get; init; }

    /// <summary>What the metric is (protocol, feature, metric, layer).</summary>
    public required string Metric { get; init; }

    public required IReadOnlyList<SweepGroupResult> Groups { get; init; }
}

/// <summary>Every cell of the sweep ended and its report is written.</summary>
public sealed record SweepCompleted
{
    public required Guid SweepId { get; init; }

    public required string Name { get; init; }

    public required string ReportKey { get; init; }

    public required string Metric { get; init; }

    public required IReadOnlyList<SweepGroupResult> Groups { get; init; }

    public required IReadOnlyList<SweepCellStatus> Cells { get; init; }
}

/// <summary>Every cell ended but the report could not be written.</summary>
public sealed record SweepFailed
{
    public required Guid SweepId { get; init; }

    public required string Reason { get; init; }
}

/// <summary>The sweep was cancelled (<see cref="CancelSweep"/>): its running cells were asked to stop, its queued ones never start.</summary>
public sealed record SweepCancelled
{
    public required Guid SweepId { get; init; }

    public required string Reason { get; init; }
}
