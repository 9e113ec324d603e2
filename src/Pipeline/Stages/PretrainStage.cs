using System.Text.Json;
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

/// <summary>What pretraining left in the store.</summary>
public sealed record PretrainOutcome(string CheckpointKey, string EncoderKey, IReadOnlyList<TrainingPoint> Log, int ResumedFromStep, double DataWaitShare);

/// <summary>
/// Pretrains the plan's model on the sharded training set and its recorded targets, checkpointing into
/// <c>experiments/&lt;id&gt;/checkpoints/step-…/</c> (each uploaded with its manifest last). Started again, it resumes
/// from the newest complete checkpoint in the store, bit-identically on the CPU; finished, it is not redone.
/// The encoder kept after pretraining goes to <c>experiments/&lt;id&gt;/encoder.safetensors</c>.
/// </summary>
public static class PretrainStage
{
    public const string EncoderFile = "encoder.safetensors";
    public const string LogFile = "training-log.json";

    public static readonly JsonSerializerOptions LogJson = new() { WriteIndented = false };

    public static async Task<StageResult<PretrainOutcome>> RunAsync(StoreFiles files, ExperimentPlan plan, ShardManifest train,
        TargetManifest targets, Action<TrainingProgress>? progress = null, CancellationToken cancellation = default,
        Action<int, string>? checkpointSaved = null)
    {
        var config = plan.Training(train.TotalSamples);
        string experiment = StoreLayout.Experiment(plan.Id);
        string checkpoints = StoreLayout.Checkpoints(plan.Id);
        string encoderKey = StoreLayout.Key(experiment, EncoderFile);
        string logKey = StoreLayout.Key(experiment, LogFile);
        var latest = await LatestCheckpointAsync(files, checkpoints, cancellation);
        int resumedFrom = latest?.Step ?? 0;
        var log = ((await files.ReadJsonAsync<List<TrainingPoint>>(logKey, LogJson, cancellation)) ?? [])
            .Where(p => p.Step <= resumedFrom).ToList();
        if (latest is { } done && done.Step >= config.Steps && await files.Store.ExistsAsync(encoderKey, cancellation))
        {
            return new(new PretrainOutcome(done.Key, encoderKey, log, ResumedFromStep: 0, DataWaitShare: 0), Reused: true);
        }

        var parts = await ShardPart.ListAsync(files, plan, train, targets, cancellation);
        using var batches = new ShardedBatchSource(parts, plan.Dataset, plan.Model.Encoder.ImageSize, config.Seed);
        string localRoot = files.ScratchFolder(checkpoints);
        var report = new SyncProgress<TrainingProgress>(step =>
        {
            log.Add(new TrainingPoint(step.Step, step.Loss, step.LearningRate, step.GradientNorm, step.ImagesPerSecond));
            progress?.Invoke(step);
        });
        var device = ComputeDevice.Default;
        using var engine = latest is null
            ? PretrainingEngine.Start(plan.Model, config, batches, localRoot, report, device)
            : PretrainingEngine.Resume(await files.LocalFolderAsync(latest.Value.Key, cancellation), batches, localRoot, report, device);
        string lastKey = latest?.Key ?? "";
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

        string encoderFile = Path.Combine(localRoot, EncoderFile);
        ModelCheckpoint.ExportEncoder(encoderFile, engine.Model);
        await files.UploadFileAsync(encoderFile, encoderKey, cancellation);
        double share = training.Elapsed > TimeSpan.Zero ? batches.DataWait / training.Elapsed : 0;
        return new(new PretrainOutcome(lastKey, encoderKey, log, resumedFrom, share), Reused: false);
    }

    /// <summary>The newest checkpoint under <paramref name="prefix"/> whose manifest (its commit marker) is in the store.</summary>
    public static async Task<(int Step, string Key)?> LatestCheckpointAsync(StoreFiles files, string prefix, CancellationToken cancellation = default)
    {
        (int Step, string Key)? latest = null;
        await foreach (var item in files.Store.ListAsync(prefix + "/", cancellation))
        {
            var parts = item.Key[(prefix.Length + 1)..].Split('/');
            if (parts is [var folder, CheckpointManifest.FileName] && CheckpointDirectory.ParseStep(folder) is { } step
                && (latest is null || step > latest.Value.Step))
            {
                latest = (step, StoreLayout.Key(prefix, folder));
            }
        }
        return latest;
    }
}
