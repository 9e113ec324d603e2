namespace SemanticMIM.Contracts.Storage;

/// <summary>An object's key and size as a listing returns it.</summary>
public sealed record StoredObject(string Key, long Size);

/// <summary>
/// The object store every stage reads from and writes to: a folder on disk in embedded mode, an S3 bucket in
/// the cluster. Keys are '/'-separated paths such as <c>datasets/fashion-mnist/train/shard-000000.tar</c>;
/// <see cref="ObjectKey.Validate"/> rejects anything that could escape the store.
/// </summary>
public interface IObjectStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>; readers see the old object or the new one, never a part.</summary>
    Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens an object for reading; throws <see cref="FileNotFoundException"/> when it does not exist.</summary>
    Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in ordinal key order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}
