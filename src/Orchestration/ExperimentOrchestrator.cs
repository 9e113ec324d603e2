using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Orchestration;

/// <summary>
/// Drives experiments through shard → targets → pretrain → evaluate → report, one <c>Consume</c> per event. Every
/// transition reads the durable record, checks that the event belongs to the current phase and names a pending unit,
/// and only then advances and saves, with the commands and events it decided in the record's outbox, which it then
/// publishes (<see cref="ExperimentOutbox"/>): duplicate, late or reordered events change nothing, and no decided
/// message is lost. One experiment's events are handled one at a time. Long work runs as jobs through the
/// <see cref="IJobLauncher"/> (Kubernetes Jobs, job agents, or in process when embedded); a unit that fails for good
/// fails its experiment with the unit's error. Ends: <see cref="ExperimentPhase.Completed"/>,
/// <see cref="ExperimentPhase.Failed"/>, <see cref="ExperimentPhase.Cancelled"/>, <see cref="ExperimentPhase.Rejected"/>.
/// </summary>
public sealed partial class ExperimentOrchestrator(ExperimentRepository repository, ExperimentOutbox outbox, IObjectStore store, ExperimentLocks locks,
    PretrainingClaims pretrainings, IJobLauncher launcher, SemanticMimMetrics metrics, SpecLimits limits, IOptions<OrchestratorOptions> options, ILogger<ExperimentOrchestrator> logger) :
    IConsumer<StartExperiment>,
    IConsumer<ShardWritten>,
    IConsumer<DatasetSharded>,
    IConsumer<TargetsComputed>,
    IConsumer<TrainingProgressed>,
    IConsumer<PretrainingCompleted>,
    IConsumer<EvaluationCompleted>,
    IConsumer<ReportWritten>,
    IConsumer<ExperimentFailed>,
    IConsumer<CancelExperiment>,
    IConsumer<GetExperimentStatus>,
    IConsumer<RunPretraining>,
    IConsumer<RunEvaluation>,
    IConsumer<RunReport>,
    IConsumer<RunTokens>,
    IConsumer<Fault<ShardDataset>>,
    IConsumer<Fault<WriteShard>>,
    IConsumer<Fault<CommitShards>>,
    IConsumer<Fault<ComputeTargets>>,
    IConsumer<Fault<RunPretraining>>,
    IConsumer<Fault<RunEvaluation>>,
    IConsumer<Fault<RunReport>>,
    IConsumer<Fault<RunTokens>>
{
    public async Task Consume(ConsumeContext<StartExperiment> context)
    {
        var command = context.Message;
        var cancellation = context.CancellationToken;
        using var _ = await locks.AcquireAsync(command.ExperimentId, cancellation);
        if (await repository.FindAsync(command.ExperimentId, cancellation) is not null)
        {
            LogDuplicateStart(command.ExperimentId);
            return;
        }
        ExperimentPlan plan;
        try
        {
            // The validation `semanticmim run` and `submit` run too, against this orchestrator's limits.
            plan = ExperimentPlan.Read(command.SpecYaml, "spec", limits);
        }
        catch (InvalidSpecException invalid)
        {
            await RejectAsync(context, invalid.Problems.Select(p => p.ToString()).ToList());
            return;
        }
        if (!await ExperimentClaims.ClaimAsync(store, plan, cancellation))
        {
            await RejectAsync(context, [$"name: experiment '{plan.Id}' already exists with different settings; choose another name"]);
            return;
        }
        var splits = plan.Spec.Evaluations.Count > 0 ? new[] { plan.Dataset.TrainSplit, plan.Dataset.EvaluationSplit } : [plan.Dataset.TrainSplit];
        var record = new ExperimentRecord
        {
            Id = command.ExperimentId,
            SpecYaml = command.SpecYaml,
            Name = plan.Id,
            Phase = ExperimentPhase.Sharding,
            PendingSplits = splits,
            TotalSteps = plan.Spec.Training.Steps,
        };
        LogAccepted(command.ExperimentId, plan.Id, command.RequestedBy ?? "someone");
        object[] decided = [new ExperimentAccepted { ExperimentId = command.ExperimentId, Name = plan.Id },
            .. splits.Select(split => new ShardDataset { ExperimentId = command.ExperimentId, Split = split })];
        await outbox.SaveAndPublishAsync(record, decided, context, cancellation);
    }

    public Task Consume(ConsumeContext<ShardWritten> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Sharding, (record, _, decided) =>
        {
            var written = context.Message;
            var done = record.WrittenShards.GetValueOrDefault(written.Split) ?? [];
            if (!record.PendingSplits.Contains(written.Split))
            {
                return null;
            }
            bool isNew = !done.Contains(written.Index);
            IReadOnlyList<int> units = isNew ? [.. done.Append(written.Index).Order()] : done;
            if (units.Count == written.Count)
            {
                // Every unit is in (again, after a redelivery or a recovery): the shard service commits the split.
                decided.Add(new CommitShards { ExperimentId = record.Id, Split = written.Split, Count = written.Count });
            }
            return isNew ? record with { WrittenShards = new Dictionary<string, IReadOnlyList<int>>(record.WrittenShards) { [written.Split] = units } } : null;
        });

    public Task Consume(ConsumeContext<DatasetSharded> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Sharding, (record, plan, decided) =>
        {
            var sharded = context.Message;
            if (!record.PendingSplits.Contains(sharded.Split))
            {
                return null;
            }
            var next = record with { PendingSplits = record.PendingSplits.Where(s => s != sharded.Split).ToList() };
            if (sharded.Split == plan.Dataset.TrainSplit)
            {
                next = next with { PendingShards = sharded.Shards, TokensParts = options.Value.Tokens.PartsFor(plan.Targets, sharded.Samples) };
            }
            if (next.PendingSplits.Count > 0)
            {
                return next;
            }
            if (plan.Targets.Views == 0)
            {
                // Online targets (target.views: 0): no target units; pretraining trains or loads a VQ tokenizer itself.
                decided.Add(new RunPretraining { ExperimentId = record.Id });
                return next with { Phase = ExperimentPhase.Pretraining, PendingShards = [] };
            }
            // A VQ tokenizer is trained by the first target unit, on the target service; the other units (or the tokens
            // jobs, which then find that shard done) follow once it is stored.
            if (NeedsTokenizer(plan))
            {
                decided.AddRange(next.PendingShards.Take(1).Select(shard => new ComputeTargets { ExperimentId = record.Id, Shard = shard }));
                return next with { Phase = ExperimentPhase.Targets };
            }
            decided.AddRange(RequestTargets(next));
            return next with { Phase = ExperimentPhase.Targets, AllTargetsRequested = true };
        });

    public Task Consume(ConsumeContext<TargetsComputed> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Targets, (record, plan, decided) =>
        {
            var computed = context.Message;
            if (!record.PendingShards.Contains(computed.Shard))
            {
                return null;
            }
            var next = record with { PendingShards = record.PendingShards.Where(s => s != computed.Shard).ToList() };
            if (!record.AllTargetsRequested && next.PendingShards.Count > 0)
            {
                // The tokenizer's unit is done: the other units follow.
                decided.AddRange(RequestTargets(next));
                next = next with { AllTargetsRequested = true };
            }
            if (next.PendingShards.Count > 0)
            {
                return next;
            }
            decided.Add(new RunPretraining { ExperimentId = record.Id });
            return next with { Phase = ExperimentPhase.Pretraining };
        });

    public Task Consume(ConsumeContext<TrainingProgressed> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Pretraining, (record, _, _) =>
            context.Message.Step > record.Step ? record with { Step = context.Message.Step, TotalSteps = context.Message.TotalSteps } : null);

    public Task Consume(ConsumeContext<PretrainingCompleted> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Pretraining, (record, plan, decided) =>
        {
            var next = record with
            {
                EncoderKey = context.Message.EncoderKey,
                PretrainingId = plan.PretrainingId,
                PretrainingReused = context.Message.Reused,
                WaitingForPretrainingOf = null,
                Step = record.TotalSteps,
                PendingEvaluations = Enumerable.Range(0, plan.Spec.Evaluations.Count).ToList(),
            };
            if (next.PendingEvaluations.Count == 0)
            {
                return Report(next, decided);
            }
            decided.AddRange(next.PendingEvaluations.Select(index => new RunEvaluation { ExperimentId = record.Id, EvaluationIndex = index }));
            return next with { Phase = ExperimentPhase.Evaluating };
        });

    public Task Consume(ConsumeContext<EvaluationCompleted> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Evaluating, (record, _, decided) =>
        {
            if (!record.PendingEvaluations.Contains(context.Message.EvaluationIndex))
            {
                return null;
            }
            var next = record with { PendingEvaluations = record.PendingEvaluations.Where(i => i != context.Message.EvaluationIndex).ToList() };
            return next.PendingEvaluations.Count > 0 ? next : Report(next, decided);
        });

    public Task Consume(ConsumeContext<ReportWritten> context) =>
        AdvanceAsync(context, context.Message.ExperimentId, ExperimentPhase.Reporting, (record, plan, decided) =>
        {
            var written = context.Message;
            decided.Add(new ExperimentCompleted { ExperimentId = record.Id, Name = plan.Id, ResultsKey = written.ResultsKey, ReportKey = written.ReportKey });
            LogCompleted(record.Id, plan.Id);
            return record with { Phase = ExperimentPhase.Completed, ResultsKey = written.ResultsKey, ReportKey = written.ReportKey };
        });

    /// <summary>Records a failure a job announced itself (in process, where nothing retries it).</summary>
    public async Task Consume(ConsumeContext<ExperimentFailed> context)
    {
        var failed = context.Message;
        using var _ = await locks.AcquireAsync(failed.ExperimentId, context.CancellationToken);
        var record = await repository.FindAsync(failed.ExperimentId, context.CancellationToken);
        if (record is null || record.IsFinished)
        {
            return;
        }
        LogFailed(failed.ExperimentId, failed.Stage, failed.Reason);
        await repository.SaveAsync(record with { Phase = ExperimentPhase.Failed, FailedStage = failed.Stage, Reason = failed.Reason }, context.CancellationToken);
    }

    /// <summary>
    /// Ends the experiment as cancelled, then asks its jobs to stop. A redelivered cancel asks again, so a job API that
    /// was down the first time is reached by the retry.
    /// </summary>
    public async Task Consume(ConsumeContext<CancelExperiment> context)
    {
        var cancel = context.Message;
        var cancellation = context.CancellationToken;
        ExperimentRecord? record;
        using (await locks.AcquireAsync(cancel.ExperimentId, cancellation))
        {
            record = await repository.FindAsync(cancel.ExperimentId, cancellation);
            if (record is null || (record.IsFinished && record.Phase != ExperimentPhase.Cancelled))
            {
                return;
            }
            record = await outbox.DeliverAsync(record, context, cancellation);
            if (record.Phase != ExperimentPhase.Cancelled)
            {
                LogCancelled(record.Id, cancel.Reason);
                record = await outbox.SaveAndPublishAsync(record with { Phase = ExperimentPhase.Cancelled, Reason = cancel.Reason },
                    [new ExperimentCancelled { ExperimentId = record.Id, Reason = cancel.Reason }], context, cancellation);
            }
        }
        foreach (var job in JobsOf(record))
        {
            await launcher.CancelAsync(job, cancellation);
        }
    }

    public async Task Consume(ConsumeContext<GetExperimentStatus> context) =>
        await context.RespondAsync(Status(context.Message.ExperimentId, await repository.FindAsync(context.Message.ExperimentId, context.CancellationToken)));

    /// <summary>
    /// The pretraining phase (<see cref="PretrainingClaims"/>): a pretraining complete in the store (trained by another
    /// experiment with the same <see cref="ExperimentPlan.PretrainingId"/>, or before) is announced as reused and launches
    /// no job; one that another unfinished experiment trains is waited for, and asked about again by the outbox sweep
    /// (<see cref="RecheckWaitingPretrainingAsync"/>); otherwise the experiment claims it and its trainer job runs.
    /// </summary>
    public async Task Consume(ConsumeContext<RunPretraining> context)
    {
        var id = context.Message.ExperimentId;
        var cancellation = context.CancellationToken;
        if (await repository.FindAsync(id, cancellation) is not { IsFinished: false } record)
        {
            LogNotLaunched(JobSpec.Pretraining(id).Name);
            return;
        }
        var plan = ExperimentPlan.From(SpecReader.Read(record.SpecYaml, $"experiment {id}"));
        switch (await pretrainings.ClaimAsync(plan, id, cancellation))
        {
            case PretrainingClaim.Complete:
                LogPretrainingReused(id, plan.PretrainingId);
                await context.Publish(new PretrainingCompleted { ExperimentId = id, EncoderKey = StoreLayout.PretrainingEncoder(plan.PretrainingId), Reused = true },
                    cancellation);
                break;
            case PretrainingClaim.HeldBy(var holder):
                if (record.WaitingForPretrainingOf != holder.Id)
                {
                    LogPretrainingHeld(id, plan.PretrainingId, holder.Id);
                }
                await AdvanceAsync(context, id, ExperimentPhase.Pretraining, (current, _, _) => WaitFor(current, holder));
                break;
            default:
                await AdvanceAsync(context, id, ExperimentPhase.Pretraining,
                    (current, _, _) => current.WaitingForPretrainingOf is null ? null : current with { WaitingForPretrainingOf = null });
                await launcher.LaunchAsync(JobSpec.Pretraining(id), cancellation);
                break;
        }
    }

    /// <summary>Asks again about the shared pretraining an experiment waits for: its holder may have completed it, or ended.</summary>
    public async Task RecheckWaitingPretrainingAsync(Guid id, IPublishEndpoint publish, CancellationToken cancellation)
    {
        if (await repository.FindAsync(id, cancellation) is { Phase: ExperimentPhase.Pretraining, WaitingForPretrainingOf: not null })
        {
            await publish.Publish(new RunPretraining { ExperimentId = id }, cancellation);
        }
    }

    public Task Consume(ConsumeContext<RunEvaluation> context) =>
        LaunchAsync(JobSpec.Evaluation(context.Message.ExperimentId, context.Message.EvaluationIndex), context.CancellationToken);

    public Task Consume(ConsumeContext<RunReport> context) =>
        LaunchAsync(JobSpec.Report(context.Message.ExperimentId), context.CancellationToken);

    public Task Consume(ConsumeContext<RunTokens> context) =>
        LaunchAsync(JobSpec.Tokens(context.Message.ExperimentId, new ShardPart(context.Message.Part, context.Message.Parts)), context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<ShardDataset>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Shard);

    public Task Consume(ConsumeContext<Fault<WriteShard>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Shard);

    public Task Consume(ConsumeContext<Fault<CommitShards>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Shard);

    public Task Consume(ConsumeContext<Fault<ComputeTargets>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Targets);

    public Task Consume(ConsumeContext<Fault<RunPretraining>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Pretrain);

    public Task Consume(ConsumeContext<Fault<RunEvaluation>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Evaluate);

    public Task Consume(ConsumeContext<Fault<RunReport>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Report);

    public Task Consume(ConsumeContext<Fault<RunTokens>> context) => UnitFailedAsync(context, context.Message.Message.ExperimentId, Stages.Targets);

    /// <summary>
    /// What computes the pending shards' targets: <see cref="ExperimentRecord.TokensParts"/> tokens jobs, each over a
    /// contiguous part of the training shards (a done shard is found and announced again), or one target-service unit per shard.
    /// </summary>
    public static IEnumerable<object> RequestTargets(ExperimentRecord record) => record.TokensParts > 0
        ? Enumerable.Range(0, record.TokensParts).Select(part => new RunTokens { ExperimentId = record.Id, Part = part, Parts = record.TokensParts })
        : record.PendingShards.Select(shard => new ComputeTargets { ExperimentId = record.Id, Shard = shard });

    /// <summary>
    /// Fails the experiment from the orchestrator's side (a unit that exhausted its retries, a timeout, a job that
    /// failed for good) and announces it; returns false when it had already ended, which changes nothing.
    /// </summary>
    public async Task<bool> FailAsync(Guid id, string stage, string reason, IPublishEndpoint publish, CancellationToken cancellation)
    {
        using var _ = await locks.AcquireAsync(id, cancellation);
        var record = await repository.FindAsync(id, cancellation);
        if (record is null || record.IsFinished)
        {
            return false;
        }
        LogFailed(id, stage, reason);
        await outbox.SaveAndPublishAsync(record with { Phase = ExperimentPhase.Failed, FailedStage = stage, Reason = reason },
            [new ExperimentFailed { ExperimentId = id, Stage = stage, Reason = reason }], publish, cancellation);
        return true;
    }

    /// <summary>Publishes what an experiment's record still holds in its outbox (a sweep, or recovery after a restart).</summary>
    public async Task DeliverPendingAsync(Guid id, IPublishEndpoint publish, CancellationToken cancellation)
    {
        using var _ = await locks.AcquireAsync(id, cancellation);
        if (await repository.FindAsync(id, cancellation) is { Outbox.Count: > 0 } record)
        {
            LogDeliveringPending(id, record.Outbox.Count);
            await outbox.DeliverAsync(record, publish, cancellation);
        }
    }

    /// <summary>What <c>semanticmim status</c> shows of an experiment's record.</summary>
    public static ExperimentStatus Status(Guid id, ExperimentRecord? record)
    {
        if (record is null)
        {
            return new ExperimentStatus { ExperimentId = id, State = "unknown" };
        }
        string state = record.Phase switch
        {
            ExperimentPhase.Completed => "completed",
            ExperimentPhase.Failed => "failed",
            ExperimentPhase.Cancelled => "cancelled",
            ExperimentPhase.Rejected => "rejected",
            _ => "running",
        };
        string detail = record.Phase switch
        {
            ExperimentPhase.Sharding => $"sharding {string.Join(", ", record.PendingSplits)}",
            ExperimentPhase.Targets => $"{record.PendingShards.Count} shards of targets to go",
            ExperimentPhase.Pretraining when record.WaitingForPretrainingOf is { } holder =>
                $"step {record.Step} of {record.TotalSteps}, the shared pretraining trained by experiment {holder:D}",
            ExperimentPhase.Pretraining => $"step {record.Step} of {record.TotalSteps}",
            ExperimentPhase.Evaluating => $"{record.PendingEvaluations.Count} evaluations to go",
            ExperimentPhase.Reporting => "writing the report",
            ExperimentPhase.Completed => $"report in {record.ReportKey}",
            _ => record.Reason ?? "",
        };
        return new ExperimentStatus
        {
            ExperimentId = id,
            State = state,
            Name = record.Name,
            Stage = record.FailedStage ?? record.Phase.ToString().ToLowerInvariant(),
            Detail = detail,
        };
    }

    /// <summary>The names of the jobs an experiment may have running.</summary>
    public static IEnumerable<string> JobsOf(ExperimentRecord record)
    {
        yield return JobSpec.Pretraining(record.Id).Name;
        int evaluations = record.Name.Length == 0 ? 0 : SpecReader.Read(record.SpecYaml, $"experiment {record.Id}").Evaluations.Count;
        for (int index = 0; index < evaluations; index++)
        {
            yield return JobSpec.Evaluation(record.Id, index).Name;
        }
        yield return JobSpec.Report(record.Id).Name;
        for (int part = 0; part < record.TokensParts; part++)
        {
            yield return JobSpec.Tokens(record.Id, new ShardPart(part, record.TokensParts)).Name;
        }
    }

    private async Task LaunchAsync(JobSpec job, CancellationToken cancellation)
    {
        // A request that waited in the queue while its experiment ended launches nothing.
        if (await repository.FindAsync(job.ExperimentId, cancellation) is not { IsFinished: false })
        {
            LogNotLaunched(job.Name);
            return;
        }
        await launcher.LaunchAsync(job, cancellation);
    }

    /// <summary>
    /// A unit that still failed after its retries fails its experiment with the unit's error, and counts in
    /// <c>semanticmim_units_failed_total</c> (the shard and target services' units are counted here, where their faults
    /// arrive; a job counts its own failures).
    /// </summary>
    private async Task UnitFailedAsync<T>(ConsumeContext<Fault<T>> context, Guid experimentId, string stage)
    {
        var error = context.Message.Exceptions.FirstOrDefault();
        string reason = error is null ? "the unit failed" : $"{error.ExceptionType}: {error.Message}";
        await FailAsync(experimentId, stage, reason, context, context.CancellationToken);
        metrics.UnitFailed(stage, await MetricLabelAsync(experimentId, context.CancellationToken));
    }

    /// <summary>The experiment's name, as every other series labels it; its id when it has none (a rejected spec).</summary>
    public async Task<string> MetricLabelAsync(Guid experimentId, CancellationToken cancellation) =>
        await repository.FindAsync(experimentId, cancellation) is { Name.Length: > 0 } record ? record.Name : experimentId.ToString("D");

    // A waiting experiment shows its holder's steps; saved as they advance, its record also stays clear of the watchdog
    // for as long as the holder's does.
    private static ExperimentRecord? WaitFor(ExperimentRecord record, ExperimentRecord holder) =>
        record.WaitingForPretrainingOf == holder.Id && record.Step >= holder.Step
            ? null
            : record with { WaitingForPretrainingOf = holder.Id, Step = Math.Max(record.Step, holder.Step), TotalSteps = holder.TotalSteps };

    private static ExperimentRecord Report(ExperimentRecord record, List<object> decided)
    {
        decided.Add(new RunReport { ExperimentId = record.Id });
        return record with { Phase = ExperimentPhase.Reporting };
    }

    private async Task RejectAsync(ConsumeContext<StartExperiment> context, IReadOnlyList<string> problems)
    {
        var command = context.Message;
        LogRejected(command.ExperimentId, string.Join("; ", problems));
        var record = new ExperimentRecord
        {
            Id = command.ExperimentId,
            SpecYaml = command.SpecYaml,
            Phase = ExperimentPhase.Rejected,
            Reason = string.Join("; ", problems),
        };
        await outbox.SaveAndPublishAsync(record, [new ExperimentRejected { ExperimentId = command.ExperimentId, Problems = problems }], context,
            context.CancellationToken);
    }

    // Applies a transition when the experiment is in the expected phase; a null record means "nothing changes". The
    // messages it decides are saved in the record's outbox with the new state and published after it, so no worker
    // acts on a step the record does not show yet, and none is lost (what a failed publish left is delivered first).
    private async Task AdvanceAsync(ConsumeContext context, Guid id, ExperimentPhase expected,
        Func<ExperimentRecord, ExperimentPlan, List<object>, ExperimentRecord?> transition)
    {
        var cancellation = context.CancellationToken;
        using var _ = await locks.AcquireAsync(id, cancellation);
        var record = await repository.FindAsync(id, cancellation);
        if (record is null)
        {
            LogIgnored(id, expected, null);
            return;
        }
        record = await outbox.DeliverAsync(record, context, cancellation);
        if (record.Phase != expected)
        {
            LogIgnored(id, expected, record.Phase);
            return;
        }
        var plan = ExperimentPlan.From(SpecReader.Read(record.SpecYaml, $"experiment {id}"));
        var decided = new List<object>();
        var next = transition(record, plan, decided);
        if (next is not null || decided.Count > 0)
        {
            await outbox.SaveAndPublishAsync(next ?? record, decided, context, cancellation);
        }
    }

    private static bool NeedsTokenizer(ExperimentPlan plan) => plan.Targets.TokenizerId is not null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id} ({Name}) accepted, requested by {RequestedBy}")]
    partial void LogAccepted(Guid id, string name, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id} was already started; the duplicate request is ignored")]
    partial void LogDuplicateStart(Guid id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Id} rejected: {Problems}")]
    partial void LogRejected(Guid id, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id} ({Name}) completed")]
    partial void LogCompleted(Guid id, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Id} failed in {Stage}: {Reason}")]
    partial void LogFailed(Guid id, string stage, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id} cancelled: {Reason}")]
    partial void LogCancelled(Guid id, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Event for experiment {Id} ignored: expected phase {Expected}, found {Phase}")]
    partial void LogIgnored(Guid id, ExperimentPhase expected, ExperimentPhase? phase);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id}: publishing {Count} message(s) left in its outbox")]
    partial void LogDeliveringPending(Guid id, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id}: pretraining {PretrainingId} is complete in the store and is reused; no trainer job")]
    partial void LogPretrainingReused(Guid id, string pretrainingId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {Id}: pretraining {PretrainingId} is being trained by experiment {Holder}; it waits for it")]
    partial void LogPretrainingHeld(Guid id, string pretrainingId, Guid holder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Name} not launched: its experiment has ended")]
    partial void LogNotLaunched(string name);
}
