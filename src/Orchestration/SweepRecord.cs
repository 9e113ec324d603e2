using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs.Sweeps;

namespace SemanticMIM.Orchestration;

/// <summary>Where a sweep stands.</summary>
public enum SweepPhase
{
    /// <summary>Cells run, at most the sweep's concurrency at once; queued cells start as running ones end.</summary>
    Running,

    /// <summary>Every cell ended; the target service writes the report.</summary>
    Reporting,
    Completed,

    /// <summary>Every cell ended but the report could not be written.</summary>
    Failed,

    /// <summary>Stopped on request (<c>CancelSweep</c>): its running cells were cancelled, its queued ones never started.</summary>
    Cancelled,

    /// <summary>The sweep or one of its cells was invalid; no cell was started.</summary>
    Rejected,
}

/// <summary>
/// The orchestrator's durable state of one sweep, kept in the object store beside the experiments' records: the sweep
/// file as submitted and every cell's state. Cells are changed by their experiment id only from the state their event
/// expects, so a duplicate or late event changes nothing; the messages a transition decided wait in
/// <see cref="Outbox"/> until they are published (<see cref="SweepOutbox"/>).
/// </summary>
public sealed record SweepRecord : IOutboxRecord<SweepRecord>
{
    public required Guid Id { get; init; }

    public required string SweepYaml { get; init; }

    /// <summary>The base spec's text, when the sweep file names its base by path.</summary>
    public string? BaseSpecYaml { get; init; }

    /// <summary>The sweep's name; empty when it was rejected before it had one.</summary>
    public string Name { get; init; } = "";

    public SweepPhase Phase { get; init; }

    /// <summary>Cells run at once; 0 = all at once.</summary>
    public int Concurrency { get; init; }

    /// <summary>Every cell, in the sweep's order (arms × axes × seeds).</summary>
    public IReadOnlyList<SweepCellStatus> Cells { get; init; } = [];

    /// <summary>Object-store key of the report's Markdown file, once written.</summary>
    public string? ReportKey { get; init; }

    /// <summary>Why the sweep was rejected, cancelled or failed.</summary>
    public string? Reason { get; init; }

    /// <summary>Commands and events decided but not yet published, in order.</summary>
    public IReadOnlyList<OutboxMessage> Outbox { get; init; } = [];

    public DateTimeOffset Updated { get; init; }

    public bool IsFinished => Phase is SweepPhase.Completed or SweepPhase.Failed or SweepPhase.Rejected
        || (Phase == SweepPhase.Cancelled && Cells.All(c => c.State != SweepCellStates.Running));

    public SweepRecord WithOutbox(IReadOnlyList<OutboxMessage> outbox) => this with { Outbox = outbox };

    /// <summary>The sweep as its file says, with the base spec it was submitted with.</summary>
    public SweepSpec ReadSpec() => SweepReader.Read(SweepYaml, $"sweep {Id}", BaseSpecYaml is { } baseYaml ? _ => baseYaml : null);
}
