using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Orchestration;

/// <summary>
/// Runs sweeps: validates a <see cref="StartSweep"/> as <c>semanticmim sweep</c> does (every cell, against this
/// orchestrator's limits), records the sweep, and starts its cells as experiments (ids from <see cref="SweepCellIds"/>),
/// at most the sweep's <c>concurrency</c> at once. It follows them through the experiments' end events; when a cell
/// ends the next queued one starts, and when every cell has ended the target service writes the report
/// (<see cref="WriteSweepReport"/>), after which the sweep is <see cref="SweepCompleted"/>. Transitions follow the
/// experiments' idiom: under the sweep's lock, from the durable record, with the decided messages in its outbox, so
/// duplicate or late events change nothing and none is lost. Every transition publishes <see cref="SweepProgressed"/>
/// and updates the sweep's gauges.
/// </summary>
public sealed partial class SweepOrchestrator(SweepRepository sweeps, SweepOutbox outbox, ExperimentRepository experiments, IObjectStore store,
    ExperimentLocks locks, SemanticMimMetrics metrics, SpecLimits limits, ILogger<SweepOrchestrator> logger) :
    IConsumer<StartSweep>,
    IConsumer<CancelSweep>,
    IConsumer<ExperimentCompleted>,
    IConsumer<ExperimentFailed>,
    IConsumer<ExperimentCancelled>,
    IConsumer<ExperimentRejected>,
    IConsumer<SweepReportWritten>,
    IConsumer<Fault<WriteSweepReport>>
{
    public async Task Consume(ConsumeContext<StartSweep> context)
    {
        var command = context.Message;
        var cancellation = context.CancellationToken;
        using var _ = await locks.AcquireAsync(command.SweepId, cancellation);
        if (await sweeps.FindAsync(command.SweepId, cancellation) is { } existing)
        {
            LogDuplicateStart(command.SweepId);
            await outbox.DeliverAsync(existing, context, cancellation);
            return;
        }
        SweepPlan plan;
        try
        {
            plan = SweepPlan.Read(command.SweepYaml, "sweep", limits, command.BaseSpecYaml is { } baseYaml ? _ => baseYaml : null);
        }
        catch (InvalidSpecException invalid)
        {
            var problems = invalid.Problems.Select(p => p.ToString()).ToList();
            LogRejected(command.SweepId, string.Join("; ", problems));
            var rejected = new SweepRecord
            {
                Id = command.SweepId, SweepYaml = command.SweepYaml, BaseSpecYaml = command.BaseSpecYaml, Phase = SweepPhase.Rejected,
                Reason = string.Join("; ", problems),
            };
            await outbox.SaveAndPublishAsync(rejected, [new SweepRejected { SweepId = command.SweepId, Problems = problems }], context, cancellation);
            return;
        }
        var cells = plan.Cells.Select(c => new SweepCellStatus
        {
            Name = c.Cell.Name,
            ExperimentId = SweepCellIds.ExperimentId(command.SweepId, c.Cell.Name),
            Arm = c.Cell.Arm,
            Point = string.Join(", ", c.Cell.Point.Select(p => $"{p.Path}={p.Value}")),
            Seed = c.Cell.Seed,
            State = SweepCellStates.Queued,
        }).ToList();
        // The index first: an experiment that ends must find its sweep however soon after its start that is.
        foreach (var cell in cells)
        {
            await sweeps.SaveCellAsync(cell.ExperimentId, command.SweepId, cancellation);
        }
        var record = new SweepRecord
        {
            Id = command.SweepId,
            SweepYaml = command.SweepYaml,
            BaseSpecYaml = command.BaseSpecYaml,
            Name = plan.Sweep.Name,
            Phase = SweepPhase.Running,
            Concurrency = plan.Sweep.Concurrency,
            Cells = cells,
        };
        LogAccepted(command.SweepId, plan.Sweep.Name, cells.Count, command.RequestedBy ?? "someone");
        var decided = new List<object> { new SweepAccepted { SweepId = record.Id, Name = record.Name, Cells = cells.Count, Concurrency = record.Concurrency } };
        record = Continue(record, plan.Cells.Select(c => c.Cell).ToList(), decided);
        await SaveAsync(record, decided, context, cancellation);
    }

    /// <summary>Cancels the running cells (their experiments) and the queued ones; a redelivered cancel asks the running cells again.</summary>
    public async Task Consume(ConsumeContext<CancelSweep> context)
    {
        var cancel = context.Message;
        var cancellation = context.CancellationToken;
        using var _ = await locks.AcquireAsync(cancel.SweepId, cancellation);
        var record = await sweeps.FindAsync(cancel.SweepId, cancellation);
        if (record is null || record.Phase is SweepPhase.Completed or SweepPhase.Failed or SweepPhase.Rejected)
        {
            return;
        }
        record = await outbox.DeliverAsync(record, context, cancellation);
        var decided = record.Cells.Where(c => c.State == SweepCellStates.Running)
            .Select(c => (object)new CancelExperiment { ExperimentId = c.ExperimentId, Reason = $"sweep {record.Name} cancelled: {cancel.Reason}" }).ToList();
        if (record.Phase != SweepPhase.Cancelled)
        {
            LogCancelled(record.Id, cancel.Reason);
            record = record with
            {
                Phase = SweepPhase.Cancelled,
                Reason = cancel.Reason,
                Cells = record.Cells.Select(c => c.State == SweepCellStates.Queued
                    ? c with { State = SweepCellStates.Cancelled, Reason = "the sweep was cancelled before it started" } : c).ToList(),
            };
            decided.Add(new SweepCancelled { SweepId = record.Id, Reason = cancel.Reason });
            decided.Add(Progress(record));
        }
        await SaveAsync(record, decided, context, cancellation);
    }

    public Task Consume(ConsumeContext<ExperimentCompleted> context) =>
        CellEndedAsync(context, context.Message.ExperimentId, SweepCellStates.Completed, context.Message.ResultsKey, null);

    public Task Consume(ConsumeContext<ExperimentFailed> context) =>
        CellEndedAsync(context, context.Message.ExperimentId, SweepCellStates.Failed, null, $"{context.Message.Stage}: {context.Message.Reason}");

    public Task Consume(ConsumeContext<ExperimentCancelled> context) =>
        CellEndedAsync(context, context.Message.ExperimentId, SweepCellStates.Cancelled, null, context.Message.Reason);

    public Task Consume(ConsumeContext<ExperimentRejected> context) =>
        CellEndedAsync(context, context.Message.ExperimentId, SweepCellStates.Failed, null, "rejected: " + string.Join("; ", context.Message.Problems));

    public async Task Consume(ConsumeContext<SweepReportWritten> context)
    {
        var written = context.Message;
        var cancellation = context.CancellationToken;
        using var _ = await locks.AcquireAsync(written.SweepId, cancellation);
        if (await sweeps.FindAsync(written.SweepId, cancellation) is not { Phase: SweepPhase.Reporting } record)
        {
            return;
        }
        LogCompleted(record.Id, record.Name, written.ReportKey);
        record = record with { Phase = SweepPhase.Completed, ReportKey = written.ReportKey };
        await SaveAsync(record, [new SweepCompleted
        {
            SweepId = record.Id, Name = record.Name, ReportKey = written.ReportKey, Metric = written.Metric, Groups = written.Groups, Cells = record.Cells,
        }], context, cancellation);
    }

    public async Task Consume(ConsumeContext<Fault<WriteSweepReport>> context)
    {
        var sweepId = context.Message.Message.SweepId;
        var cancellation = context.CancellationToken;
        using var _ = await locks.AcquireAsync(sweepId, cancellation);
        if (await sweeps.FindAsync(sweepId, cancellation) is not { Phase: SweepPhase.Reporting } record)
        {
            return;
        }
        var error = context.Message.Exceptions.FirstOrDefault();
        string reason = $"the report could not be written: {(error is null ? "no reason given" : $"{error.ExceptionType}: {error.Message}")}";
        LogFailed(record.Id, reason);
        await SaveAsync(record with { Phase = SweepPhase.Failed, Reason = reason }, [new SweepFailed { SweepId = record.Id, Reason = reason }], context, cancellation);
    }

    /// <summary>
    /// After a restart: publishes what the sweep's outbox holds, records the end of each running cell whose experiment
    /// ended meanwhile, starts again each running cell whose experiment has no record (its start was lost; a start
    /// that arrives twice is ignored), asks again for the report of a sweep that waits for it, and reports its gauges.
    /// </summary>
    public async Task RecoverAsync(Guid sweepId, IPublishEndpoint publish, CancellationToken cancellation)
    {
        using var _ = await locks.AcquireAsync(sweepId, cancellation);
        if (await sweeps.FindAsync(sweepId, cancellation) is not { } record)
        {
            return;
        }
        record = await outbox.DeliverAsync(record, publish, cancellation);
        RecordMetrics(record);
        if (record.Phase == SweepPhase.Reporting)
        {
            await publish.Publish(new WriteSweepReport { SweepId = record.Id }, cancellation);
        }
        if (record.IsFinished || record.Phase == SweepPhase.Reporting)
        {
            return;
        }
        var ends = new List<(Guid Id, string State, string? ResultsKey, string? Reason)>();
        var lost = new List<SweepCellStatus>();
        foreach (var cell in record.Cells.Where(c => c.State == SweepCellStates.Running))
        {
            switch (await experiments.FindAsync(cell.ExperimentId, cancellation))
            {
                case null:
                    lost.Add(cell);
                    break;
                case { IsFinished: true } ended:
                    ends.Add((cell.ExperimentId, StateOf(ended.Phase), ended.ResultsKey, ended.Reason));
                    break;
            }
        }
        if (lost.Count > 0)
        {
            var specs = SweepCells.Expand(record.ReadSpec()).ToDictionary(c => c.Name, c => c.SpecYaml, StringComparer.Ordinal);
            foreach (var cell in lost)
            {
                await publish.Publish(new StartExperiment { ExperimentId = cell.ExperimentId, SpecYaml = specs[cell.Name], RequestedBy = $"sweep {record.Name}" }, cancellation);
            }
        }
        if (ends.Count > 0)
        {
            LogRecoveredEnds(record.Id, ends.Count);
            await EndCellsAsync(record, ends, publish, cancellation);
        }
    }

    private async Task CellEndedAsync(ConsumeContext context, Guid experimentId, string state, string? resultsKey, string? reason)
    {
        var cancellation = context.CancellationToken;
        if (await sweeps.FindSweepOfAsync(experimentId, cancellation) is not { } sweepId)
        {
            return;
        }
        using var _ = await locks.AcquireAsync(sweepId, cancellation);
        if (await sweeps.FindAsync(sweepId, cancellation) is not { } record)
        {
            return;
        }
        record = await outbox.DeliverAsync(record, context, cancellation);
        await EndCellsAsync(record, [(experimentId, state, resultsKey, reason)], context, cancellation);
    }

    // Records the cells' ends (only of cells still running: a duplicate event finds its cell ended), starts queued cells in
    // their place, and, once every cell has ended, asks for the report.
    private async Task EndCellsAsync(SweepRecord record, IReadOnlyList<(Guid Id, string State, string? ResultsKey, string? Reason)> ends,
        IPublishEndpoint publish, CancellationToken cancellation)
    {
        var cells = record.Cells.ToList();
        SweepMetric? metric = null;
        bool changed = false;
        foreach (var end in ends)
        {
            int index = cells.FindIndex(c => c.ExperimentId == end.Id);
            if (index < 0 || cells[index].State != SweepCellStates.Running)
            {
                continue;
            }
            double? value = null;
            if (end.State == SweepCellStates.Completed && end.ResultsKey is { } key)
            {
                metric ??= record.ReadSpec().Metric;
                value = await ValueAsync(metric, key, cancellation);
            }
            cells[index] = cells[index] with { State = end.State, Value = value, Reason = end.Reason };
            LogCellEnded(record.Id, cells[index].Name, end.State);
            changed = true;
        }
        if (!changed)
        {
            return;
        }
        var decided = new List<object>();
        var next = Continue(record with { Cells = cells }, null, decided);
        await SaveAsync(next, decided, publish, cancellation);
    }

    // Starts queued cells up to the concurrency limit while the sweep runs, and asks for the report when every cell has
    // ended; adds the progress event. The cells' specs come from the sweep file again when any cell is to start.
    private SweepRecord Continue(SweepRecord record, IReadOnlyList<SweepCell>? expanded, List<object> decided)
    {
        if (record.Phase == SweepPhase.Running)
        {
            int running = record.Cells.Count(c => c.State == SweepCellStates.Running);
            int free = record.Concurrency > 0 ? Math.Max(0, record.Concurrency - running) : int.MaxValue;
            var starting = record.Cells.Where(c => c.State == SweepCellStates.Queued).Take(free).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            if (starting.Count > 0)
            {
                var specs = (expanded ?? SweepCells.Expand(record.ReadSpec())).ToDictionary(c => c.Name, c => c.SpecYaml, StringComparer.Ordinal);
                record = record with { Cells = record.Cells.Select(c => starting.Contains(c.Name) ? c with { State = SweepCellStates.Running } : c).ToList() };
                decided.AddRange(record.Cells.Where(c => starting.Contains(c.Name)).Select(c =>
                    new StartExperiment { ExperimentId = c.ExperimentId, SpecYaml = specs[c.Name], RequestedBy = $"sweep {record.Name}" }));
            }
            if (record.Cells.All(c => c.State is not (SweepCellStates.Queued or SweepCellStates.Running)))
            {
                LogReporting(record.Id, record.Name);
                record = record with { Phase = SweepPhase.Reporting };
                decided.Add(new WriteSweepReport { SweepId = record.Id });
            }
        }
        decided.Add(Progress(record));
        return record;
    }

    private async Task SaveAsync(SweepRecord record, IReadOnlyList<object> decided, IPublishEndpoint publish, CancellationToken cancellation)
    {
        var saved = await outbox.SaveAndPublishAsync(record, decided, publish, cancellation);
        RecordMetrics(saved);
    }

    /// <summary>The sweep's gauges: its cells per state, and the value of each completed cell.</summary>
    public void RecordMetrics(SweepRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Name.Length == 0)
        {
            return;
        }
        metrics.RecordSweepCells(record.Name, SweepCellStates.All.ToDictionary(s => s, s => record.Cells.Count(c => c.State == s)));
        foreach (var cell in record.Cells.Where(c => c.Value is not null))
        {
            metrics.RecordSweepCellResult(record.Name, cell.Name, cell.Arm, cell.Point, cell.Seed, cell.Value!.Value);
        }
    }

    private async Task<double?> ValueAsync(SweepMetric metric, string resultsKey, CancellationToken cancellation)
    {
        try
        {
            var results = await store.ReadJsonAsync<List<EvaluationResult>>(resultsKey, ObjectStoreJson.Records, cancellation);
            return results is null ? null : SweepSummary.Pick(metric, results)?.Value;
        }
        catch (JsonException error)
        {
            // The cell still counts as completed; the report, which reads the same file, says what is wrong with it.
            LogUnreadableResults(resultsKey, error.Message);
            return null;
        }
    }

    private static SweepProgressed Progress(SweepRecord record) => new() { SweepId = record.Id, Name = record.Name, Cells = record.Cells };

    private static string StateOf(ExperimentPhase phase) => phase switch
    {
        ExperimentPhase.Completed => SweepCellStates.Completed,
        ExperimentPhase.Cancelled => SweepCellStates.Cancelled,
        _ => SweepCellStates.Failed,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id} ({Name}, {Cells} cells) accepted, requested by {RequestedBy}")]
    partial void LogAccepted(Guid id, string name, int cells, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id} was already started; the duplicate request is ignored")]
    partial void LogDuplicateStart(Guid id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {Id} rejected: {Problems}")]
    partial void LogRejected(Guid id, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id}: cell {Cell} {State}")]
    partial void LogCellEnded(Guid id, string cell, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id} ({Name}): every cell ended; writing the report")]
    partial void LogReporting(Guid id, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id} ({Name}) completed: report in {ReportKey}")]
    partial void LogCompleted(Guid id, string name, string reportKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep {Id} failed: {Reason}")]
    partial void LogFailed(Guid id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id} cancelled: {Reason}")]
    partial void LogCancelled(Guid id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Id}: {Count} cell(s) ended while the orchestrator was away")]
    partial void LogRecoveredEnds(Guid id, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The results at {Key} cannot be read ({Reason}); the cell has no value")]
    partial void LogUnreadableResults(string key, string reason);
}
