namespace SemanticMIM.Data.Shards;

/// <summary>A shard file that does not match its manifest entry (size, SHA-256 or sample count).</summary>
public sealed class ShardIntegrityException(string message) : Exception(message);
