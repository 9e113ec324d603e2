using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Data.Shards;
using SemanticMIM.Evaluation.Reports;
using SemanticMIM.Pipeline;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Workers.Orchestration;

/// <summary>
/// Drives experiments through shard → targets → pretrain → evaluate. Every transition reads the durable
/// record, checks that the event belongs to the current phase and names a pending unit, and only then
/// advances and saves: duplicate, late or reordered events change nothing. One experiment's events are
/// handled one at a time.
/// </summary>
public sealed class ExperimentOrchestrator(ExperimentRepository repository, StoreFiles files, ILogger<ExperimentOrchestrator> logger)
{
    private static readonly ConcurrentDictionary<Guid, SemaphoreSlim> Locks = new();

    public async Task StartAsync(StartExperiment command, IPublishEndpoint publish, CancellationToken cancellation)
    {
        using var _ = await LockAsync(command.ExperimentId, cancellation);
        if (await repository.FindAsync(command.ExperimentId, cancellation) is not null)
        {
            logger.LogInformation("Experiment {Id} was already started; the duplicate request is ignored", command.ExperimentId);
            return;
        }
        ExperimentPlan plan;
        try
        {
            plan = ExperimentPlan.From(SpecReader.Read(command.SpecYaml, "spec"));
        }
        catch (InvalidSpecException invalid)
        {
            await RejectAsync(command, invalid.Problems.Select(p => p.ToString()).ToList(), publish, cancellation);
            return;
        }
        if (!await ExperimentFiles.ClaimAsync(files, plan, cancellation))
        {
            await RejectAsync(command, [$"name: experiment '{plan.Id}' already exists with different settings; choose another name"], publish, cancellation);
            return;
        }
        var splits = plan.Spec.Evaluations.Count > 0 ? new[] { plan.Dataset.TrainSplit, plan.Dataset.EvaluationSplit } : [plan.Dataset.TrainSplit];
        await repository.SaveAsync(new ExperimentRecord
        {
            Id = command.ExperimentId,
            SpecYaml = command.SpecYaml,
            Name = plan.Id,
            Phase = ExperimentPhase.Sharding,
            PendingSplits = splits,
            TotalSteps = plan.Spec.Training.Steps,
        }, cancellation);
        logger.LogInformation("Experiment {Id} ({Name}) accepted", command.ExperimentId, plan.Id);
        await publish.Publish(new ExperimentAccepted { ExperimentId = command.ExperimentId, Name = plan.Id }, cancellation);
        foreach (var split in splits)
        {
            await publish.Publish(new ShardDataset { ExperimentId = command.ExperimentId, Split = split }, cancellation);
        }
    }

    public Task OnShardWrittenAsync(ShardWritten written, IPublishEndpoint publish, CancellationToken cancellation) =>
        AdvanceAsync(written.ExperimentId, ExperimentPhase.Sharding, publish, async (record, plan, outbox) =>
        {
            var done = record.WrittenShards.GetValueOrDefault(written.Split) ?? [];
            if (!record.PendingSplits.Contains(written.Split) || done.Contains(written.Index))
            {
                return null;
            }
            var units = new Dictionary<string, IReadOnlyList<int>>(record.WrittenShards)
            {
                [written.Split] = [.. done.Append(written.Index).Order()],
            };
            if (units[written.Split].Count == written.Count)
            {
                // Every unit is in: the manifest commits the split, and the split's event moves the experiment on.
                var manifest = await ShardStage.CommitAsync(files, plan.Dataset, written.Split, written.Count, cancellation);
                outbox.Add(ShardEvents.Sharded(record.Id, written.Split, manifest, reused: false));
            }
            return record with { WrittenShards = units };
        }, cancellation);

    public Task OnDatasetShardedAsync(DatasetSharded sharded, IPublishEndpoint publish, CancellationToken cancellation) =>
        AdvanceAsync(sharded.ExperimentId, ExperimentPhase.Sharding, publish, async (record, plan, outbox) =>
        {
            if (!record.PendingSplits.Contains(sharded.Split))
            {
                return null;
            }
            var next = record with { PendingSplits = record.PendingSplits.Where(s => s != sharded.Split).ToList() };
            if (sharded.Split == plan.Dataset.TrainSplit)
            {
                next = next with { PendingShards = sharded.Shards };
            }
            if (next.PendingSplits.Count > 0)
            {
                return next;
            }
            next = next with { Phase = ExperimentPhase.Targets };
            // A VQ tokenizer is trained by the first target unit; the other units follow once it is stored.
            var first = NeedsTokenizer(plan) ? next.PendingShards.Take(1) : next.PendingShards;
            foreach (var shard in first)
            {
                outbox.Add(new ComputeTargets { ExperimentId = record.Id, Shard = shard });
            }
            return next;
        }, cancellation);

    public Task OnTargetsComputedAsync(TargetsComputed computed, IPublishEndpoint publish, CancellationToken cancellation) =>
        AdvanceAsync(computed.ExperimentId, ExperimentPhase.Targets, publish, async (record, plan, outbox) =>
        {
            if (!record.PendingShards.Contains(computed.Shard))
            {
                return null;
            }
            var pending = record.PendingShards.Where(s => s != computed.Shard).ToList();
            bool firstOfTokenizer = NeedsTokenizer(plan) && pending.Count == record.PendingShards.Count - 1
                && computed.Shard == record.PendingShards[0];
            if (firstOfTokenizer)
            {
                foreach (var shard in pending)
                {
                    outbox.Add(new ComputeTargets { ExperimentId = record.Id, Shard = shard });
                }
            }
            if (pending.Count > 0)
            {
                return record with { PendingShards = pending };
            }
            outbox.Add(new RunPretraining { ExperimentId = record.Id });
            return record with { PendingShards = pending, Phase = ExperimentPhase.Pretraining };
        }, cancellation);

    public Task OnTrainingProgressedAsync(TrainingProgressed progressed, CancellationToken cancellation) =>
        AdvanceAsync(progressed.ExperimentId, ExperimentPhase.Pretraining, null, (record, _, _) =>
            Task.FromResult<ExperimentRecord?>(progressed.Step > record.Step
                ? record with { Step = progressed.Step, TotalSteps = progressed.TotalSteps }
                : null), cancellation);

    public Task OnPretrainingCompletedAsync(PretrainingCompleted completed, IPublishEndpoint publish, CancellationToken cancellation) =>
        AdvanceAsync(completed.ExperimentId, ExperimentPhase.Pretraining, publish, async (record, plan, outbox) =>
        {
            var next = record with
            {
                Phase = ExperimentPhase.Evaluating,
                EncoderKey = completed.EncoderKey,
                Step = record.TotalSteps,
                PendingEvaluations = Enumerable.Range(0, plan.Spec.Evaluations.Count).ToList(),
            };
            if (next.PendingEvaluations.Count == 0)
            {
                return await CompleteAsync(next, plan, outbox, cancellation);
            }
            foreach (int index in next.PendingEvaluations)
            {
                outbox.Add(new RunEvaluation { ExperimentId = record.Id, EvaluationIndex = index });
            }
            return next;
        }, cancellation);

    public Task OnEvaluationCompletedAsync(EvaluationCompleted completed, IPublishEndpoint publish, CancellationToken cancellation) =>
        AdvanceAsync(completed.ExperimentId, ExperimentPhase.Evaluating, publish, async (record, plan, outbox) =>
        {
            if (!record.PendingEvaluations.Contains(completed.EvaluationIndex))
            {
                return null;
            }
            var next = record with { PendingEvaluations = record.PendingEvaluations.Where(i => i != completed.EvaluationIndex).ToList() };
            return next.PendingEvaluations.Count > 0 ? next : await CompleteAsync(next, plan, outbox, cancellation);
        }, cancellation);

    /// <summary>Records a failure reported by a worker or job (which already published <see cref="ExperimentFailed"/>).</summary>
    public async Task OnFailedAsync(ExperimentFailed failed, CancellationToken cancellation)
    {
        using var _ = await LockAsync(failed.ExperimentId, cancellation);
        var record = await repository.FindAsync(failed.ExperimentId, cancellation);
        if (record is null || record.IsFinished)
        {
            return;
        }
        logger.LogWarning("Experiment {Id} failed in {Stage}: {Reason}", failed.ExperimentId, failed.Stage, failed.Reason);
        await repository.SaveAsync(record with { Phase = ExperimentPhase.Failed, FailedStage = failed.Stage, Reason = failed.Reason }, cancellation);
    }

    /// <summary>
    /// Fails the experiment from the orchestrator's side (a unit that exhausted its retries, a cancel, a timeout, a
    /// dead job) and announces it; returns false when it had already ended, which changes nothing.
    /// </summary>
    public async Task<bool> FailAsync(Guid id, string stage, string reason, IPublishEndpoint publish, CancellationToken cancellation)
    {
        using (await LockAsync(id, cancellation))
        {
            var record = await repository.FindAsync(id, cancellation);
            if (record is null || record.IsFinished)
            {
                return false;
            }
            await repository.SaveAsync(record with { Phase = ExperimentPhase.Failed, FailedStage = stage, Reason = reason }, cancellation);
        }
        logger.LogWarning("Experiment {Id} failed in {Stage}: {Reason}", id, stage, reason);
        await publish.Publish(new ExperimentFailed { ExperimentId = id, Stage = stage, Reason = reason }, cancellation);
        return true;
    }

    public async Task<ExperimentStatus> StatusAsync(Guid id, CancellationToken cancellation)
    {
        var record = await repository.FindAsync(id, cancellation);
        if (record is null)
        {
            return new ExperimentStatus { ExperimentId = id, State = "unknown" };
        }
        string state = record.Phase switch
        {
            ExperimentPhase.Completed => "completed",
            ExperimentPhase.Failed => "failed",
            ExperimentPhase.Rejected => "rejected",
            _ => "running",
        };
        string detail = record.Phase switch
        {
            ExperimentPhase.Sharding => $"sharding {string.Join(", ", record.PendingSplits)}",
            ExperimentPhase.Targets => $"{record.PendingShards.Count} shards of targets to go",
            ExperimentPhase.Pretraining => $"step {record.Step} of {record.TotalSteps}",
            ExperimentPhase.Evaluating => $"{record.PendingEvaluations.Count} evaluations to go",
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

    private async Task<ExperimentRecord> CompleteAsync(ExperimentRecord record, ExperimentPlan plan, List<object> outbox, CancellationToken cancellation)
    {
        var results = new List<EvaluationResult>();
        for (int i = 0; i < plan.Spec.Evaluations.Count; i++)
        {
            string key = EvaluationStage.ResultKey(plan, i, plan.Spec.Evaluations[i]);
            results.AddRange(await files.ReadJsonAsync<List<EvaluationResult>>(key, EvaluationStage.Json, cancellation)
                ?? throw new InvalidDataException($"evaluation {i} reported completion but {key} is missing"));
        }
        string experiment = StoreLayout.Experiment(plan.Id);
        string resultsKey = StoreLayout.Key(experiment, StoreLayout.ResultsFile);
        await files.WriteJsonAsync(resultsKey, results, EvaluationStage.Json, cancellation);
        var log = await files.ReadJsonAsync<List<TrainingPoint>>(StoreLayout.Key(experiment, PretrainStage.LogFile), PretrainStage.LogJson, cancellation) ?? [];
        string reportPrefix = StoreLayout.Key(experiment, "report");
        string scratch = files.ScratchFolder(reportPrefix);
        string manifest = await files.ReadTextAsync(StoreLayout.Key(StoreLayout.DatasetSplit(plan.Dataset.Id, plan.Dataset.TrainSplit), ShardManifest.FileName), cancellation)
            ?? throw new InvalidDataException($"the training manifest of {plan.Dataset.Id} is missing");
        var arm = new ArmOutcome(plan.Id, plan.Describe(ShardManifest.FromJson(manifest).TotalSamples), log, results);
        ExperimentReport.Write(scratch, $"SemanticMIM experiment report: {plan.Id}", [arm], "");
        await files.UploadFolderAsync(scratch, reportPrefix, "report.md", cancellation);
        Directory.Delete(scratch, recursive: true);
        outbox.Add(new ExperimentCompleted
        {
            ExperimentId = record.Id,
            Name = plan.Id,
            ResultsKey = resultsKey,
            ReportKey = StoreLayout.Key(reportPrefix, "report.md"),
        });
        logger.LogInformation("Experiment {Id} ({Name}) completed", record.Id, plan.Id);
        return record with { Phase = ExperimentPhase.Completed };
    }

    private async Task RejectAsync(StartExperiment command, IReadOnlyList<string> problems, IPublishEndpoint publish, CancellationToken cancellation)
    {
        await repository.SaveAsync(new ExperimentRecord
        {
            Id = command.ExperimentId,
            SpecYaml = command.SpecYaml,
            Phase = ExperimentPhase.Rejected,
            Reason = string.Join("; ", problems),
        }, cancellation);
        logger.LogWarning("Experiment {Id} rejected: {Problems}", command.ExperimentId, string.Join("; ", problems));
        await publish.Publish(new ExperimentRejected { ExperimentId = command.ExperimentId, Problems = problems }, cancellation);
    }

    // Applies a transition when the experiment is in the expected phase; a null result means "nothing to do".
    // The messages it produces are published only after the new state is saved, so no worker acts on a step the
    // record does not show yet (a crash in between re-issues them through recovery; every unit is idempotent).
    private async Task AdvanceAsync(Guid id, ExperimentPhase expected, IPublishEndpoint? publish,
        Func<ExperimentRecord, ExperimentPlan, List<object>, Task<ExperimentRecord?>> transition, CancellationToken cancellation)
    {
        using var _ = await LockAsync(id, cancellation);
        var record = await repository.FindAsync(id, cancellation);
        if (record is null || record.Phase != expected)
        {
            logger.LogDebug("Event for experiment {Id} ignored: expected phase {Expected}, found {Phase}", id, expected, record?.Phase);
            return;
        }
        var plan = ExperimentPlan.From(SpecReader.Read(record.SpecYaml, $"experiment {id}"));
        var outbox = new List<object>();
        var next = await transition(record, plan, outbox);
        if (next is null)
        {
            return;
        }
        await repository.SaveAsync(next, cancellation);
        foreach (var message in outbox)
        {
            await publish!.Publish(message, cancellation);
        }
    }

    private static bool NeedsTokenizer(ExperimentPlan plan) => plan.Targets.TokenizerId is not null;

    private static async Task<IDisposable> LockAsync(Guid id, CancellationToken cancellation)
    {
        var gate = Locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellation);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
