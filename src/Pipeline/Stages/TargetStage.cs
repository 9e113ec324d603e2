using System.Diagnostics;
using SemanticMIM.Data.Shards;
using SemanticMIM.Model.Targets;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Computes the targets of every training shard into <c>targets/&lt;dataset&gt;/&lt;target&gt;/</c>, one file per shard,
/// then the manifest. Idempotent per shard (a unit of work): a shard whose target file already names the same
/// shard content is kept, so a restarted or second worker finishes the set without redoing or corrupting it. With
/// <c>target.views: 0</c> the trainer computes the targets online: this stage stores nothing.
/// </summary>
public static class TargetStage
{
    public static async Task<StageResult<TargetManifest>> RunAsync(StoreFiles files, TargetPlan plan, DatasetPlan dataset,
        ShardManifest train, IVisualTokenizer? tokenizer, Action<int>? shardsDone = null, CancellationToken cancellation = default)
    {
        if (plan.Views == 0)
        {
            return new(new TargetManifest(plan.Id, plan.IsHog ? "hog" : "tokens", 0, dataset.Id, []), Reused: false);
        }
        string prefix = StoreLayout.Targets(dataset.Id, plan.Id);
        var existing = await ReadVerifiedAsync(files, prefix, train, cancellation);
        if (existing is not null)
        {
            return new(existing, Reused: true);
        }
        string trainFolder = await files.LocalFolderAsync(StoreLayout.DatasetSplit(dataset.Id, dataset.TrainSplit), cancellation);
        var computer = new TargetComputer(plan, dataset, tokenizer);
        var reader = new ShardReader(trainFolder);
        var entries = new List<TargetFileInfo>();
        long firstIndex = 0;
        foreach (var shard in train.Shards)
        {
            cancellation.ThrowIfCancellationRequested();
            entries.Add((await ComputeShardAsync(files, prefix, computer, reader, shard, firstIndex, cancellation)).Value);
            firstIndex += shard.Samples;
            shardsDone?.Invoke(entries.Count);
        }
        var manifest = new TargetManifest(plan.Id, plan.IsHog ? "hog" : "tokens", plan.Views, dataset.Id, entries);
        await files.WriteJsonAsync(StoreLayout.Key(prefix, TargetManifest.FileName), manifest, TargetManifest.Json, cancellation);
        return new(manifest, Reused: false);
    }

    /// <summary>One unit: the target file of one shard, reused when it already exists for the same shard content.</summary>
    public static async Task<StageResult<TargetFileInfo>> ComputeShardAsync(StoreFiles files, string prefix, TargetComputer computer, ShardReader reader,
        ShardInfo shard, long firstIndex, CancellationToken cancellation = default)
    {
        string key = StoreLayout.Key(prefix, TargetFileInfo.NameFor(shard.Name));
        if (await files.Store.ExistsAsync(key, cancellation))
        {
            var path = await files.LocalFileAsync(key, cancellation);
            var stored = ShardTargets.Load(path);
            if (stored.ShardSha256 == shard.Sha256 && stored.Count == shard.Samples)
            {
                return new(Describe(shard, path), Reused: true);
            }
        }
        var clock = Stopwatch.StartNew();
        var targets = computer.Compute(shard, reader.ReadShard(shard), firstIndex);
        string scratch = files.ScratchFolder(prefix + "/" + Path.GetFileNameWithoutExtension(shard.Name));
        string file = Path.Combine(scratch, TargetFileInfo.NameFor(shard.Name));
        targets.Save(file);
        var timing = new TargetTiming(clock.Elapsed.TotalSeconds);
        var info = Describe(shard, file);
        await files.UploadFileAsync(file, key, cancellation);
        await files.WriteJsonAsync(StoreLayout.Key(prefix, TargetTiming.NameFor(shard.Name)), timing, TargetManifest.Json, cancellation);
        Directory.Delete(scratch, recursive: true);
        return new(info, Reused: false);
    }

    /// <summary>
    /// What a stored target set cost: the bytes of its files and the seconds computing them took (the sum of their
    /// <see cref="TargetTiming"/>, null when one was not recorded). Targets computed online cost neither; a set that is
    /// not in the store has no bytes and an unknown time.
    /// </summary>
    public static async Task<(long Bytes, double? Seconds)> CostAsync(StoreFiles files, TargetPlan plan, DatasetPlan dataset, CancellationToken cancellation = default)
    {
        if (plan.Views == 0)
        {
            return (0, 0);
        }
        string prefix = StoreLayout.Targets(dataset.Id, plan.Id);
        var manifest = await files.ReadJsonAsync<TargetManifest>(StoreLayout.Key(prefix, TargetManifest.FileName), TargetManifest.Json, cancellation);
        if (manifest is null)
        {
            return (0, null);
        }
        double? seconds = 0;
        foreach (var file in manifest.Files)
        {
            var timing = await files.ReadJsonAsync<TargetTiming>(StoreLayout.Key(prefix, TargetTiming.NameFor(file.Shard)), TargetManifest.Json, cancellation);
            seconds += timing?.Seconds;
        }
        return (manifest.Files.Sum(file => file.Bytes), seconds);
    }

    /// <summary>The manifest under <paramref name="prefix"/> when it covers exactly these shards and every file verifies.</summary>
    public static async Task<TargetManifest?> ReadVerifiedAsync(StoreFiles files, string prefix, ShardManifest train, CancellationToken cancellation = default)
    {
        var manifest = await files.ReadJsonAsync<TargetManifest>(StoreLayout.Key(prefix, TargetManifest.FileName), TargetManifest.Json, cancellation);
        if (manifest is null || manifest.Files.Count != train.Shards.Count
            || manifest.Files.Zip(train.Shards).Any(pair => pair.First.ShardSha256 != pair.Second.Sha256))
        {
            return null;
        }
        foreach (var file in manifest.Files)
        {
            if (!await files.VerifyAsync(StoreLayout.Key(prefix, file.Name), file.Bytes, file.Sha256, cancellation))
            {
                return null;
            }
        }
        return manifest;
    }

    private static TargetFileInfo Describe(ShardInfo shard, string path)
    {
        using var stream = File.OpenRead(path);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        return new TargetFileInfo(TargetFileInfo.NameFor(shard.Name), shard.Name, shard.Sha256, shard.Samples, stream.Length, sha);
    }
}
