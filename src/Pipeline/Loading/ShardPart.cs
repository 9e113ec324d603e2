using SemanticMIM.Data.Shards;

namespace SemanticMIM.Pipeline.Loading;

/// <summary>One training shard on local disk with its target file.</summary>
public sealed record ShardPart(string ShardFolder, ShardInfo Shard, string TargetPath);
