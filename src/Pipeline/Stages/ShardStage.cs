using SemanticMIM.Data.Shards;
using SemanticMIM.Pipeline.Storage;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Turns one split of a data set into tar shards and a manifest under <c>datasets/&lt;id&gt;/&lt;split&gt;/</c>.
/// Idempotent: a manifest whose shards all verify (size and SHA-256) is reused; anything else is rewritten,
/// the manifest last, so a crash never leaves a manifest pointing at missing shards.
/// </summary>
public static class ShardStage
{
    private const int ReportEvery = 1000;

    public static async Task<StageResult<ShardManifest>> RunAsync(StoreFiles files, DatasetPlan dataset, string split,
        Action<long>? samplesWritten = null, CancellationToken cancellation = default)
    {
        string prefix = StoreLayout.DatasetSplit(dataset.Id, split);
        var existing = await ReadVerifiedAsync(files, prefix, cancellation);
        if (existing is not null)
        {
            return new StageResult<ShardManifest>(existing, Reused: true);
        }
        string scratch = files.ScratchFolder(prefix);
        var reader = dataset.CreateReader(split);
        ShardManifest manifest;
        using (var writer = new ShardWriter(scratch, reader.DatasetName, reader.Split, reader.ClassCount, dataset.ShardOptions))
        {
            long count = 0;
            foreach (var sample in reader.Read())
            {
                cancellation.ThrowIfCancellationRequested();
                writer.Add(sample);
                if (++count % ReportEvery == 0)
                {
                    samplesWritten?.Invoke(count);
                }
            }
            writer.AddSkipped(reader.Skipped);
            manifest = writer.Complete();
            samplesWritten?.Invoke(count);
        }
        if (manifest.TotalSamples == 0)
        {
            throw new InvalidDataException($"{dataset.Spec.Kind} split '{split}' has no readable samples ({manifest.Skipped.Count} skipped)");
        }
        await files.UploadFolderAsync(scratch, prefix, ShardManifest.FileName, cancellation);
        Directory.Delete(scratch, recursive: true);
        return new StageResult<ShardManifest>(manifest, Reused: false);
    }

    /// <summary>The manifest under <paramref name="prefix"/> when it and every shard it lists verify; otherwise null.</summary>
    public static async Task<ShardManifest?> ReadVerifiedAsync(StoreFiles files, string prefix, CancellationToken cancellation = default)
    {
        string? json = await files.ReadTextAsync(StoreLayout.Key(prefix, ShardManifest.FileName), cancellation);
        if (json is null)
        {
            return null;
        }
        var manifest = ShardManifest.FromJson(json);
        foreach (var shard in manifest.Shards)
        {
            if (!await files.VerifyAsync(StoreLayout.Key(prefix, shard.Name), shard.Bytes, shard.Sha256, cancellation))
            {
                return null;
            }
        }
        return manifest;
    }
}
