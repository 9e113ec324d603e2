using System.Text.Json;
using System.Text.Json.Serialization;
using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Shards;

/// <summary>
/// The JSON manifest of one data set split (manifest.json next to its shards): every shard with its sample count,
/// size and SHA-256, the totals, the sources that were skipped with the reason, and how many were skipped per kind of
/// reason (<see cref="SkipKinds"/>: oversized, decompression-bomb, truncated, corrupt, …).
/// </summary>
public sealed record ShardManifest(
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("num_classes")] int ClassCount,
    [property: JsonPropertyName("total_samples")] int TotalSamples,
    [property: JsonPropertyName("shards")] IReadOnlyList<ShardInfo> Shards,
    [property: JsonPropertyName("skipped")] IReadOnlyList<SkippedSource> Skipped)
{
    public const string FileName = "manifest.json";

    /// <summary>Skipped sources per kind of reason, for a reader of the manifest; recomputed from <see cref="Skipped"/>.</summary>
    [JsonPropertyName("skipped_counts")]
    public IReadOnlyDictionary<string, int> SkippedCounts =>
        (Skipped ?? []).GroupBy(s => s.Kind ?? SkipKinds.Unknown).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <param name="source">Names the manifest in errors (its path or key).</param>
    /// <exception cref="InvalidDataException">The text is not a manifest, or one whose entries do not add up.</exception>
    public static ShardManifest FromJson(string json, string source = FileName)
    {
        ShardManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ShardManifest>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a shard manifest ({e.Message})", e);
        }
        if (manifest is null)
            throw new InvalidDataException($"{source}: the shard manifest is empty.");
        manifest.Validate(source);
        return manifest;
    }

    public void Save(string directory) =>
        AtomicFile.WriteAllBytes(Path.Combine(directory, FileName), System.Text.Encoding.UTF8.GetBytes(ToJson()));

    public static ShardManifest Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        return FromJson(File.ReadAllText(path), path);
    }

    private void Validate(string source)
    {
        if (Shards is null || Skipped is null || string.IsNullOrEmpty(Dataset) || string.IsNullOrEmpty(Split))
            throw new InvalidDataException($"{source}: the shard manifest lacks dataset, split, shards or skipped.");
        foreach (var shard in Shards)
        {
            // Shard names come from a file: keep them inside the manifest's folder.
            if (shard is null || string.IsNullOrEmpty(shard.Name) || shard.Name != Path.GetFileName(shard.Name) || shard.Name is "." or ".."
                || shard.Name.Contains('\\') || shard.Name.Any(char.IsControl))
                throw new InvalidDataException($"{source}: the shard manifest names an invalid shard file '{shard?.Name}'.");
            if (shard.Sha256 is null || shard.Sha256.Length != 64 || !shard.Sha256.All(Uri.IsHexDigit))
                throw new InvalidDataException($"{source}: shard {shard.Name} has an invalid sha256 '{shard.Sha256}'.");
            if (shard.Samples < 0 || shard.Bytes < 0)
                throw new InvalidDataException($"{source}: shard {shard.Name} has {shard.Samples} samples and {shard.Bytes} bytes.");
        }
        if (Skipped.Any(s => s is null))
            throw new InvalidDataException($"{source}: the shard manifest lists an empty skipped source.");
        // Summed as longs: the counts come from a file and could overflow an int.
        long sum = Shards.Sum(s => (long)s.Samples);
        if (sum != TotalSamples || ClassCount < 0)
            throw new InvalidDataException($"{source}: total_samples {TotalSamples} differs from the sum over its shards ({sum}), or num_classes {ClassCount} is negative.");
    }
}
