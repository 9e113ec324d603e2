using System.Collections.Concurrent;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Shards;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Storage;

namespace SemanticMIM.Pipeline.Stages;

/// <summary>
/// Turns one split of a data set into tar shards and a manifest under <c>datasets/&lt;id&gt;/&lt;split&gt;/</c>.
/// The unit of work is one shard: sources [i·S, (i+1)·S) of the split (S = the spec's shard size) become
/// <c>shard-i.tar</c> and its record <c>units/shard-i.json</c>; units are independent, so replicas share them and
/// a redelivered unit finds its verified output. <see cref="CommitAsync"/> then writes the manifest, the split's
/// commit marker: a crash never leaves a manifest pointing at missing shards.
/// </summary>
public static class ShardStage
{
    private const string UnitsFolder = "units";

    /// <summary>
    /// The whole split in this process: every unit, then the commit; a verified split is reused. One caller at a time
    /// per split: evaluations running side by side (two arms of one run) may ask for the same data set, and would
    /// otherwise write the same scratch files.
    /// </summary>
    public static async Task<StageResult<ShardManifest>> RunAsync(StoreFiles files, DatasetPlan dataset, string split,
        Action<long>? samplesWritten = null, CancellationToken cancellation = default)
    {
        string prefix = StoreLayout.DatasetSplit(dataset.Id, split);
        var gate = Writers.GetOrAdd(prefix, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellation);
        try
        {
            return await RunAloneAsync(files, dataset, split, prefix, samplesWritten, cancellation);
        }
        finally
        {
            gate.Release();
        }
    }

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Writers = new(StringComparer.Ordinal);

    private static async Task<StageResult<ShardManifest>> RunAloneAsync(StoreFiles files, DatasetPlan dataset, string split, string prefix,
        Action<long>? samplesWritten, CancellationToken cancellation)
    {
        var existing = await ReadVerifiedAsync(files, prefix, cancellation);
        if (existing is not null)
        {
            return new StageResult<ShardManifest>(existing, Reused: true);
        }
        int units = UnitCount(dataset, split);
        long written = 0;
        for (int unit = 0; unit < units; unit++)
        {
            var result = await WriteUnitAsync(files, dataset, split, unit, cancellation: cancellation);
            written += result.Value.TotalSamples;
            samplesWritten?.Invoke(written);
        }
        return new StageResult<ShardManifest>(await CommitAsync(files, dataset, split, units, cancellation), Reused: false);
    }

    /// <summary>How many units (shards) the split is cut into.</summary>
    public static int UnitCount(DatasetPlan dataset, string split)
    {
        int sources = dataset.CreateReader(split).SourceCount;
        if (sources == 0)
        {
            throw new InvalidDataException($"{dataset.Spec.Kind} split '{split}' lists no sources");
        }
        return (sources + dataset.Spec.ShardSize - 1) / dataset.Spec.ShardSize;
    }

    /// <summary>
    /// One unit: shard <paramref name="unit"/> and its record (a one-shard manifest with the sources it skipped).
    /// Reused when the record exists and its shard verifies.
    /// </summary>
    /// <param name="images">The largest source image decoded; larger ones are skipped and counted (<see cref="ImageLimits.Default"/> when null).</param>
    public static async Task<StageResult<ShardManifest>> WriteUnitAsync(StoreFiles files, DatasetPlan dataset, string split, int unit,
        ImageLimits? images = null, CancellationToken cancellation = default)
    {
        string prefix = StoreLayout.DatasetSplit(dataset.Id, split);
        string recordKey = UnitKey(prefix, unit);
        if (await files.ReadTextAsync(recordKey, cancellation) is { } json)
        {
            var stored = ShardManifest.FromJson(json, recordKey);
            if (await VerifyShardsAsync(files, prefix, stored, cancellation))
            {
                return new(stored, Reused: true);
            }
        }
        string scratch = files.ScratchFolder($"{prefix}/{UnitsFolder}/{unit}");
        var reader = dataset.CreateReader(split, images);
        ShardManifest record;
        // One unit is exactly one shard, whatever its byte size.
        var options = dataset.ShardOptions() with { MaxBytesPerShard = long.MaxValue };
        using (var writer = new ShardWriter(scratch, reader.DatasetName, reader.Split, reader.ClassCount, options, firstShardIndex: unit))
        {
            int size = dataset.Spec.ShardSize;
            foreach (var sample in reader.Read(unit * size, size))
            {
                cancellation.ThrowIfCancellationRequested();
                writer.Add(sample);
            }
            writer.AddSkipped(reader.Skipped);
            record = writer.Complete();
        }
        foreach (var shard in record.Shards)
        {
            await files.UploadFileAsync(Path.Combine(scratch, shard.Name), StoreLayout.Key(prefix, shard.Name), cancellation);
        }
        await files.WriteTextAsync(recordKey, record.ToJson(), cancellation);
        Directory.Delete(scratch, recursive: true);
        return new(record, Reused: false);
    }

    /// <summary>Writes the split's manifest from the records of all <paramref name="units"/> units.</summary>
    public static async Task<ShardManifest> CommitAsync(StoreFiles files, DatasetPlan dataset, string split, int units,
        CancellationToken cancellation = default)
    {
        string prefix = StoreLayout.DatasetSplit(dataset.Id, split);
        var records = new List<ShardManifest>();
        for (int unit = 0; unit < units; unit++)
        {
            string json = await files.ReadTextAsync(UnitKey(prefix, unit), cancellation)
                ?? throw new InvalidDataException($"unit {unit} of {prefix} has not been written");
            records.Add(ShardManifest.FromJson(json, UnitKey(prefix, unit)));
        }
        var first = records[0];
        var manifest = new ShardManifest(first.Dataset, first.Split, first.ClassCount, records.Sum(r => r.TotalSamples),
            records.SelectMany(r => r.Shards).ToArray(), records.SelectMany(r => r.Skipped).ToArray());
        if (manifest.TotalSamples == 0)
        {
            throw new InvalidDataException($"{dataset.Spec.Kind} split '{split}' has no readable samples ({manifest.Skipped.Count} skipped)");
        }
        await files.WriteTextAsync(StoreLayout.Key(prefix, ShardManifest.FileName), manifest.ToJson(), cancellation);
        return manifest;
    }

    /// <summary>The manifest under <paramref name="prefix"/> when it and every shard it lists verify; otherwise null.</summary>
    public static async Task<ShardManifest?> ReadVerifiedAsync(StoreFiles files, string prefix, CancellationToken cancellation = default)
    {
        string? json = await files.ReadTextAsync(StoreLayout.Key(prefix, ShardManifest.FileName), cancellation);
        if (json is null)
        {
            return null;
        }
        var manifest = ShardManifest.FromJson(json, StoreLayout.Key(prefix, ShardManifest.FileName));
        return await VerifyShardsAsync(files, prefix, manifest, cancellation) ? manifest : null;
    }

    private static async Task<bool> VerifyShardsAsync(StoreFiles files, string prefix, ShardManifest manifest, CancellationToken cancellation)
    {
        foreach (var shard in manifest.Shards)
        {
            if (!await files.VerifyAsync(StoreLayout.Key(prefix, shard.Name), shard.Bytes, shard.Sha256, cancellation))
            {
                return false;
            }
        }
        return true;
    }

    private static string UnitKey(string prefix, int unit) =>
        StoreLayout.Key(prefix, $"{UnitsFolder}/{Path.GetFileNameWithoutExtension(ShardWriter.ShardName(unit))}.json");
}
