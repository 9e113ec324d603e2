using SemanticMIM.Contracts.Messages;
using SemanticMIM.Pipeline;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Messaging;

namespace SemanticMIM.Workers;

/// <summary>How an experiment ended, as its last event said.</summary>
public sealed record ExperimentEnd(Guid ExperimentId, bool Succeeded, string Summary, ExperimentCompleted? Completed);

/// <summary>
/// Follows one experiment through its events: turns them into stage progress for a progress display, notes
/// which stages were found already done, and completes when the experiment is completed, failed, cancelled or rejected.
/// Used by the embedded run (in-memory bus) and by <c>semanticmim submit --follow</c> (RabbitMQ) alike.
/// </summary>
public sealed class ExperimentFollower(Guid experimentId, ExperimentPlan plan, Action<PipelineProgress>? progress = null)
{
    private readonly TaskCompletionSource<ExperimentEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly HashSet<string> _freshStages = [];
    private readonly HashSet<string> _seenStages = [];
    private int _shardsExpected;
    private int _targetsDone;
    private int _evaluationsDone;

    public Guid ExperimentId => experimentId;

    public Task<ExperimentEnd> Completion => _end.Task;

    public PretrainingCompleted? Pretraining { get; private set; }

    /// <summary>Stages whose every unit was found done in the store.</summary>
    public IReadOnlyList<string> ReusedStages
    {
        get
        {
            lock (_gate)
            {
                return [.. _seenStages.Where(s => !_freshStages.Contains(s))];
            }
        }
    }

    /// <summary>Names every event the follower reads, for a subscription on a broker (<c>semanticmim submit --follow</c>).</summary>
    public void ListenTo(EventSubscriptionBuilder events) => events
        .On<ExperimentAccepted>(Handle)
        .On<ExperimentRejected>(Handle)
        .On<ShardWritten>(Handle)
        .On<DatasetSharded>(Handle)
        .On<TargetsComputed>(Handle)
        .On<TrainingProgressed>(Handle)
        .On<PretrainingCompleted>(Handle)
        .On<EvaluationCompleted>(Handle)
        .On<ReportWritten>(Handle)
        .On<ExperimentCompleted>(Handle)
        .On<ExperimentFailed>(Handle)
        .On<ExperimentCancelled>(Handle);

    /// <summary>Feeds one event; events of other experiments are ignored.</summary>
    public void Handle(object message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case ExperimentRejected rejected when rejected.ExperimentId == experimentId:
                    _end.TrySetResult(new ExperimentEnd(experimentId, false, "rejected: " + string.Join("; ", rejected.Problems), null));
                    break;
                case ShardWritten written when written.ExperimentId == experimentId:
                    Seen(Stages.Shard, written.Reused);
                    Report(Stages.Shard, written.Index + 1, written.Count, $"{written.Split}: shard {written.Index + 1} of {written.Count}");
                    break;
                case DatasetSharded sharded when sharded.ExperimentId == experimentId:
                    Seen(Stages.Shard, sharded.Reused);
                    if (sharded.Split == plan.Dataset.TrainSplit)
                    {
                        _shardsExpected = sharded.Shards.Count;
                    }
                    Report(Stages.Shard, 1, 1, $"{sharded.Split}: {sharded.Samples} samples in {sharded.Shards.Count} shards, {sharded.Skipped} skipped");
                    break;
                case TargetsComputed computed when computed.ExperimentId == experimentId:
                    Seen(Stages.Targets, computed.Reused);
                    _targetsDone++;
                    Report(Stages.Targets, _targetsDone, Math.Max(_shardsExpected, _targetsDone));
                    break;
                case TrainingProgressed step when step.ExperimentId == experimentId:
                    _freshStages.Add(Stages.Pretrain);
                    Report(Stages.Pretrain, step.Step, step.TotalSteps, $"loss {step.Loss:F4}");
                    break;
                case PretrainingCompleted completed when completed.ExperimentId == experimentId:
                    Pretraining = completed;
                    Seen(Stages.Pretrain, completed.Reused);
                    Report(Stages.Pretrain, 1, 1);
                    break;
                case EvaluationCompleted evaluated when evaluated.ExperimentId == experimentId:
                    Seen(Stages.Evaluate, evaluated.Reused);
                    _evaluationsDone++;
                    Report(Stages.Evaluate, _evaluationsDone, plan.Spec.Evaluations.Count);
                    break;
                case ReportWritten report when report.ExperimentId == experimentId:
                    _freshStages.Add(Stages.Report);
                    _seenStages.Add(Stages.Report);
                    Report(Stages.Report, 1, 1, report.ReportKey);
                    break;
                case ExperimentCancelled cancelled when cancelled.ExperimentId == experimentId:
                    _end.TrySetResult(new ExperimentEnd(experimentId, false, $"cancelled: {cancelled.Reason}", null));
                    break;
                case ExperimentFailed failed when failed.ExperimentId == experimentId:
                    _end.TrySetResult(new ExperimentEnd(experimentId, false, $"failed in {failed.Stage}: {failed.Reason}", null));
                    break;
                case ExperimentCompleted completed when completed.ExperimentId == experimentId:
                    _end.TrySetResult(new ExperimentEnd(experimentId, true, $"completed: results in {completed.ResultsKey}", completed));
                    break;
            }
        }
    }

    private void Seen(string stage, bool reused)
    {
        _seenStages.Add(stage);
        if (!reused)
        {
            _freshStages.Add(stage);
        }
    }

    private void Report(string stage, long done, long total, string detail = "") =>
        progress?.Invoke(new PipelineProgress(plan.Id, stage, done, total, detail));
}
