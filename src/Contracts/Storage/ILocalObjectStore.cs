namespace SemanticMIM.Contracts.Storage;

/// <summary>
/// A store whose objects are files on this machine. Readers that need a file path (tar shards, safetensors,
/// checkpoints) use the object in place instead of copying it to a cache.
/// </summary>
public interface ILocalObjectStore : IObjectStore
{
    /// <summary>The file (or, for a prefix, the folder) that holds <paramref name="key"/>.</summary>
    string LocalPath(string key);
}
