using SemanticMIM.Contracts.Messages;
using SemanticMIM.Platform.Messaging;

namespace SemanticMIM.Cli;

/// <summary>How a sweep ended, as its last event said: the cells as they ended, and the report when it was written.</summary>
internal sealed record SweepEnd(bool Succeeded, string Summary, IReadOnlyList<SweepCellStatus> Cells, SweepCompleted? Completed);

/// <summary>
/// Follows one sweep through its events for <c>semanticmim submit --follow</c>: hands each new state of its cells to
/// <paramref name="changed"/> and completes when the sweep is completed, failed, cancelled (and its running cells have
/// stopped) or rejected.
/// </summary>
internal sealed class SweepFollower(Guid sweepId, Action<IReadOnlyList<SweepCellStatus>> changed)
{
    private readonly TaskCompletionSource<SweepEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private IReadOnlyList<SweepCellStatus> _cells = [];
    private string? _cancelled;

    public Task<SweepEnd> Completion => _end.Task;

    public void ListenTo(EventSubscriptionBuilder events) => events
        .On<SweepRejected>(Handle)
        .On<SweepProgressed>(Handle)
        .On<SweepCompleted>(Handle)
        .On<SweepFailed>(Handle)
        .On<SweepCancelled>(Handle);

    /// <summary>Feeds one event; events of other sweeps are ignored.</summary>
    public void Handle(object message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case SweepRejected rejected when rejected.SweepId == sweepId:
                    _end.TrySetResult(new SweepEnd(false, "rejected: " + string.Join("; ", rejected.Problems), [], null));
                    break;
                case SweepProgressed progressed when progressed.SweepId == sweepId:
                    Update(progressed.Cells);
                    break;
                case SweepCompleted completed when completed.SweepId == sweepId:
                    Update(completed.Cells);
                    int unfinished = completed.Cells.Count(c => c.State != SweepCellStates.Completed);
                    _end.TrySetResult(new SweepEnd(unfinished == 0, unfinished == 0 ? $"completed: report in {completed.ReportKey}"
                        : $"completed with {unfinished} of {completed.Cells.Count} cells not completed: report in {completed.ReportKey}",
                        _cells, completed));
                    break;
                case SweepFailed failed when failed.SweepId == sweepId:
                    _end.TrySetResult(new SweepEnd(false, "failed: " + failed.Reason, _cells, null));
                    break;
                case SweepCancelled cancelled when cancelled.SweepId == sweepId:
                    _cancelled = cancelled.Reason;
                    EndIfCancelled();
                    break;
            }
        }
    }

    private void Update(IReadOnlyList<SweepCellStatus> cells)
    {
        _cells = cells;
        changed(cells);
        EndIfCancelled();
    }

    // A cancelled sweep has ended once none of its cells runs any more.
    private void EndIfCancelled()
    {
        if (_cancelled is not null && _cells.Count > 0 && _cells.All(c => c.State != SweepCellStates.Running))
        {
            _end.TrySetResult(new SweepEnd(false, "cancelled: " + _cancelled, _cells, null));
        }
    }
}
