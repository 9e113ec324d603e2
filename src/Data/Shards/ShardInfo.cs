using System.Text.Json.Serialization;

namespace SemanticMIM.Data.Shards;

/// <summary>One shard in a manifest: file name (in the manifest's folder), sample count, size and SHA-256 (lower-case hex).</summary>
public sealed record ShardInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("sha256")] string Sha256);
