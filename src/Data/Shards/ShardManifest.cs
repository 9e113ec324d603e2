using System.Text.Json;
using System.Text.Json.Serialization;
using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Shards;

/// <summary>
/// The JSON manifest of one data set split (manifest.json next to its shards): every shard with its sample count,
/// size and SHA-256, the totals, and the sources that were skipped with the reason.
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

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ShardManifest FromJson(string json)
    {
        var manifest = JsonSerializer.Deserialize<ShardManifest>(json, JsonOptions)
            ?? throw new InvalidDataException("Shard manifest is empty.");
        manifest.Validate();
        return manifest;
    }

    public void Save(string directory) =>
        AtomicFile.WriteAllBytes(Path.Combine(directory, FileName), System.Text.Encoding.UTF8.GetBytes(ToJson()));

    public static ShardManifest Load(string directory) => FromJson(File.ReadAllText(Path.Combine(directory, FileName)));

    private void Validate()
    {
        if (Shards is null || Skipped is null || string.IsNullOrEmpty(Dataset) || string.IsNullOrEmpty(Split))
            throw new InvalidDataException("Shard manifest lacks dataset, split, shards or skipped.");
        foreach (var shard in Shards)
        {
            // Shard names come from a file: keep them inside the manifest's folder.
            if (string.IsNullOrEmpty(shard.Name) || shard.Name != Path.GetFileName(shard.Name) || shard.Name is "." or ".." || shard.Name.Contains('\\'))
                throw new InvalidDataException($"Shard manifest names an invalid shard file '{shard.Name}'.");
            if (shard.Sha256 is null || shard.Sha256.Length != 64 || !shard.Sha256.All(Uri.IsHexDigit))
                throw new InvalidDataException($"Shard {shard.Name} has an invalid sha256 '{shard.Sha256}'.");
        }
        if (Shards.Sum(s => s.Samples) != TotalSamples)
            throw new InvalidDataException($"Shard manifest total_samples {TotalSamples} differs from the sum over its shards ({Shards.Sum(s => s.Samples)}).");
    }
}
