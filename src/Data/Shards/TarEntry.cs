namespace SemanticMIM.Data.Shards;

/// <summary>A regular file in a tar archive.</summary>
public sealed record TarEntry(string Name, byte[] Data);
