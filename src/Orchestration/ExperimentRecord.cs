namespace SemanticMIM.Orchestration;

/// <summary>Where an experiment stands in the pipeline.</summary>
public enum ExperimentPhase
{
    Sharding,
    Targets,
    Pretraining,
    Evaluating,

    /// <summary>The report job writes <c>results.json</c> and the report.</summary>
    Reporting,
    Completed,
    Failed,

    /// <summary>Stopped on request (<c>CancelExperiment</c>); its jobs were cancelled.</summary>
    Cancelled,

    /// <summary>The spec was invalid, or its name is taken by another spec; no work was started.</summary>
    Rejected,
}

/// <summary>
/// The orchestrator's durable state of one experiment, kept in the object store so a restarted orchestrator
/// carries on. Units are recorded as done by name, so a duplicate or late event changes nothing. The messages a
/// transition decided wait in <see cref="Outbox"/> until they are published, so none is lost with a failed publish
/// or a crash between the save and the publish.
/// </summary>
public sealed record ExperimentRecord : IOutboxRecord<ExperimentRecord>
{
    public required Guid Id { get; init; }

    public required string SpecYaml { get; init; }

    /// <summary>The spec's name; empty when the spec was rejected before it had one.</summary>
    public string Name { get; init; } = "";

    public ExperimentPhase Phase { get; init; }

    /// <summary>Splits still to be sharded.</summary>
    public IReadOnlyList<string> PendingSplits { get; init; } = [];

    /// <summary>Per split being sharded, the shard units written so far.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> WrittenShards { get; init; } = new Dictionary<string, IReadOnlyList<int>>();

    /// <summary>Training shards whose targets are still to be computed (known once the training split is sharded).</summary>
    public IReadOnlyList<string> PendingShards { get; init; } = [];

    /// <summary>
    /// Whether the units of every pending shard were requested; false while a VQ tokenizer's first unit trains it
    /// (the other units follow once it is stored).
    /// </summary>
    public bool AllTargetsRequested { get; init; }

    /// <summary>How many tokens jobs compute the training shards' targets; 0 when the target service does.</summary>
    public int TokensParts { get; init; }

    /// <summary>Evaluation indices still running.</summary>
    public IReadOnlyList<int> PendingEvaluations { get; init; } = [];

    public int Step { get; init; }

    public int TotalSteps { get; init; }

    public string? EncoderKey { get; init; }

    /// <summary>The pretraining the experiment evaluated (<c>pretraining/&lt;id&gt;/</c>), once it is complete.</summary>
    public string? PretrainingId { get; init; }

    /// <summary>The pretraining was found complete in the store (trained before, by this experiment or another), not trained now.</summary>
    public bool PretrainingReused { get; init; }

    /// <summary>The experiment that trains the shared pretraining this one waits for (<see cref="PretrainingClaims"/>); null when none.</summary>
    public Guid? WaitingForPretrainingOf { get; init; }

    /// <summary>Object-store keys of <c>results.json</c> and of the report, once the report job wrote them.</summary>
    public string? ResultsKey { get; init; }

    public string? ReportKey { get; init; }

    /// <summary>Why the experiment failed, was cancelled or was rejected.</summary>
    public string? Reason { get; init; }

    /// <summary>The stage that failed, when it failed.</summary>
    public string? FailedStage { get; init; }

    /// <summary>Commands and events decided but not yet published, in order (see <see cref="ExperimentOutbox"/>).</summary>
    public IReadOnlyList<OutboxMessage> Outbox { get; init; } = [];

    public DateTimeOffset Updated { get; init; }

    public bool IsFinished => Phase is ExperimentPhase.Completed or ExperimentPhase.Failed or ExperimentPhase.Cancelled or ExperimentPhase.Rejected;

    public ExperimentRecord WithOutbox(IReadOnlyList<OutboxMessage> outbox) => this with { Outbox = outbox };
}
