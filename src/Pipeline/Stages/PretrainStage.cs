using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Data.Shards;
using SemanticMIM.Model;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Pipeline.Loading;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Training;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>A checkpoint resume passed over, newest first, and why.</summary>
public sealed record SkippedCheckpoint(string Key, string Reason);

/// <summary>
/// What pretraining left in the store. <see cref="SkippedCheckpoints"/> lists the checkpoints newer than the one it resumed
/// from that were corrupt or truncated (empty when it resumed from the newest or started afresh).
/// </summary>
public sealed record PretrainOutcome(string CheckpointKey, string EncoderKey, IReadOnlyList<TrainingPoint> Log, int ResumedFromStep, double DataWaitShare,
    IReadOnlyList<SkippedCheckpoint> SkippedCheckpoints);

/// <summary>
/// A pretraining's completion marker (<see cref="StoreLayout.PretrainingDone"/>): its final checkpoint and encoder, and the
/// experiment that trained it (another than the one reading it when the pretraining was shared).
/// </summary>
public sealed record PretrainingDone(string PretrainingId, string TrainedBy, int Steps, string CheckpointKey, string EncoderKey);

/// <summary>
/// Pretrains the plan's model on the sharded training set and its recorded targets (or, with <c>target.views: 0</c>, targets
/// computed on every step from its own views, <see cref="OnlineTargets"/>), under <c>pretraining/&lt;PretrainingId&gt;/</c>:
/// every experiment whose encoder-shaping settings agree shares it. Checkpoints go to <c>checkpoints/step-…/</c> (each
/// uploaded with its manifest last). Started again, it resumes from the newest checkpoint in the store whose files match
/// its manifest, bit-identically on the CPU; a newer one that is corrupt or truncated is passed over, logged and listed in
/// the outcome, and training resumes from the previous good one (or from the start). Finished, it stores
/// <c>encoder.safetensors</c> and then its completion marker <c>done.json</c>; while the marker is there, it is not redone.
/// </summary>
public static partial class PretrainStage
{
    public static readonly JsonSerializerOptions LogJson = new() { WriteIndented = false };

    public static async Task<StageResult<PretrainOutcome>> RunAsync(StoreFiles files, ExperimentPlan plan, ShardManifest train,
        TargetManifest targets, Action<TrainingProgress>? progress = null, CancellationToken cancellation = default,
        Action<int, string>? checkpointSaved = null, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (await FindCompleteAsync(files, plan, cancellation) is { } complete)
        {
            return complete;
        }
        var config = plan.Training(train.TotalSamples);
        string checkpoints = StoreLayout.PretrainingCheckpoints(plan.PretrainingId);
        string encoderKey = StoreLayout.PretrainingEncoder(plan.PretrainingId);
        string logKey = StoreLayout.PretrainingLog(plan.PretrainingId);
        var stored = await CheckpointsAsync(files, checkpoints, cancellation);
        var storedLog = (await files.ReadJsonAsync<List<TrainingPoint>>(logKey, LogJson, cancellation)) ?? [];

        var device = ComputeDevice.Default;
        var parts = await ShardPart.ListAsync(files, plan, train, targets, cancellation);
        using var online = await OnlineTargets.ForPlanAsync(files, plan, device, cancellation);
        using var batches = new ShardedBatchSource(parts, plan.Dataset, plan.Model.Encoder.ImageSize, config.Seed, online: online);
        string localRoot = files.ScratchFolder(checkpoints);
        var log = new List<TrainingPoint>();
        var report = new SyncProgress<TrainingProgress>(step =>
        {
            log.Add(new TrainingPoint(step.Step, step.Loss, step.LearningRate, step.GradientNorm, step.ImagesPerSecond));
            progress?.Invoke(step);
        });
        var skipped = new List<SkippedCheckpoint>();
        PretrainingEngine? resumed = null;
        (int Step, string Key)? resumedFrom = null;
        foreach (var candidate in stored)
        {
            try
            {
                resumed = PretrainingEngine.Resume(await files.LocalFolderAsync(candidate.Key, cancellation), batches, localRoot, report, device);
                resumedFrom = candidate;
                break;
            }
            catch (InvalidDataException error)
            {
                skipped.Add(new SkippedCheckpoint(candidate.Key, error.Message));
                LogSkippedCheckpoint(logger, plan.Id, candidate.Key, error.Message);
            }
        }
        if (skipped.Count > 0)
        {
            LogFellBack(logger, plan.Id, skipped.Count, resumedFrom?.Key ?? "the start");
        }
        int resumedStep = resumedFrom?.Step ?? 0;
        log.AddRange(storedLog.Where(p => p.Step <= resumedStep));
        using var engine = resumed ?? PretrainingEngine.Start(plan.Model, config, batches, localRoot, report, device);
        string lastKey = resumedFrom?.Key ?? "";
        engine.CheckpointSaved += folder =>
        {
            // The log first, then the checkpoint with its manifest last: a visible checkpoint always has its log.
            // Not cancellable: on cancellation the engine saves a last checkpoint, which must reach the store.
            string key = StoreLayout.Key(checkpoints, Path.GetFileName(folder));
            files.WriteJsonAsync(logKey, log, LogJson, CancellationToken.None).GetAwaiter().GetResult();
            files.UploadFolderAsync(folder, key, CheckpointManifest.FileName, CancellationToken.None).GetAwaiter().GetResult();
            Directory.Delete(folder, recursive: true);
            lastKey = key;
            checkpointSaved?.Invoke(engine.Step, key);
        };
        var training = System.Diagnostics.Stopwatch.StartNew();
        engine.Run(cancellation);
        training.Stop();
        cancellation.ThrowIfCancellationRequested();

        string encoderFile = Path.Combine(localRoot, Path.GetFileName(encoderKey));
        ModelCheckpoint.ExportEncoder(encoderFile, engine.Model);
        await files.UploadFileAsync(encoderFile, encoderKey, cancellation);
        await files.WriteJsonAsync(StoreLayout.PretrainingDone(plan.PretrainingId),
            new PretrainingDone(plan.PretrainingId, plan.Id, config.Steps, lastKey, encoderKey), LogJson, cancellation);
        double share = training.Elapsed > TimeSpan.Zero ? batches.DataWait / training.Elapsed : 0;
        return new(new PretrainOutcome(lastKey, encoderKey, log, resumedStep, share, skipped), Reused: false);
    }

    /// <summary>
    /// The plan's pretraining as its completion marker records it, with its training log, found done (no step to train); null
    /// while it is not complete.
    /// </summary>
    public static async Task<StageResult<PretrainOutcome>?> FindCompleteAsync(StoreFiles files, ExperimentPlan plan, CancellationToken cancellation = default)
    {
        if (await ReadDoneAsync(files, plan, cancellation) is not { } done)
        {
            return null;
        }
        var log = await files.ReadJsonAsync<List<TrainingPoint>>(StoreLayout.PretrainingLog(plan.PretrainingId), LogJson, cancellation) ?? [];
        return new(new PretrainOutcome(done.CheckpointKey, done.EncoderKey, log.Where(p => p.Step <= done.Steps).ToList(), ResumedFromStep: 0, DataWaitShare: 0, []),
            Reused: true);
    }

    /// <summary>The completion marker of the plan's pretraining; null while it is not complete.</summary>
    public static Task<PretrainingDone?> ReadDoneAsync(StoreFiles files, ExperimentPlan plan, CancellationToken cancellation = default) =>
        files.ReadJsonAsync<PretrainingDone>(StoreLayout.PretrainingDone(plan.PretrainingId), LogJson, cancellation);

    /// <summary>The newest checkpoint under <paramref name="prefix"/> whose manifest (its commit marker) is in the store.</summary>
    public static async Task<(int Step, string Key)?> LatestCheckpointAsync(StoreFiles files, string prefix, CancellationToken cancellation = default) =>
        (await CheckpointsAsync(files, prefix, cancellation)).Select(c => ((int, string)?)c).FirstOrDefault();

    /// <summary>Every checkpoint under <paramref name="prefix"/> whose manifest is in the store, newest first; their files are not checked here.</summary>
    public static async Task<IReadOnlyList<(int Step, string Key)>> CheckpointsAsync(StoreFiles files, string prefix, CancellationToken cancellation = default)
    {
        var found = new List<(int Step, string Key)>();
        await foreach (var item in files.Store.ListAsync(prefix + "/", cancellation))
        {
            var parts = item.Key[(prefix.Length + 1)..].Split('/');
            if (parts is [var folder, CheckpointManifest.FileName] && CheckpointDirectory.ParseStep(folder) is { } step)
            {
                found.Add((step, StoreLayout.Key(prefix, folder)));
            }
        }
        return found.OrderByDescending(c => c.Step).ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Experiment}: checkpoint {Key} cannot be resumed from and is passed over: {Reason}")]
    private static partial void LogSkippedCheckpoint(ILogger logger, string experiment, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Experiment}: {Count} newer checkpoint(s) were corrupt or truncated; training resumes from {Key}")]
    private static partial void LogFellBack(ILogger logger, string experiment, int count, string key);
}
