using System.Text.Json;
using System.Text.Json.Serialization;

namespace SemanticMIM.Pipeline.Targets;

/// <summary>
/// <c>manifest.json</c> of a target set, written after every shard's target file: which shards it covers and the
/// size and SHA-256 of each file. Its presence is the commit marker of the whole set.
/// </summary>
public sealed record TargetManifest(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("views")] int Views,
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("files")] IReadOnlyList<TargetFileInfo> Files)
{
    public const string FileName = "manifest.json";

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
}

/// <summary>One shard's target file.</summary>
public sealed record TargetFileInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shard")] string Shard,
    [property: JsonPropertyName("shard_sha256")] string ShardSha256,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("sha256")] string Sha256)
{
    /// <summary>The target file of a shard: <c>shard-000000.targets</c> (a zlib-compressed safetensors file, <see cref="ShardTargets"/>).</summary>
    public static string NameFor(string shardName) => Path.ChangeExtension(shardName, ".targets");
}

/// <summary>
/// How long computing one shard's target file took, beside it (<c>shard-000000.timing.json</c>), so that a sweep's report
/// can weigh precomputed targets against online ones. Kept out of the target file, which stays reproducible byte for byte.
/// </summary>
public sealed record TargetTiming([property: JsonPropertyName("seconds")] double Seconds)
{
    public static string NameFor(string shardName) => Path.ChangeExtension(shardName, ".timing.json");
}
