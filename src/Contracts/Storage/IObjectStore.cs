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

    /// <summary>
    /// Opens the bytes <c>[offset, offset + length)</c> of an object for reading. A range that runs past the end
    /// returns what exists (an empty stream when <paramref name="offset"/> is at or past the end); throws
    /// <see cref="FileNotFoundException"/> when the object does not exist.
    /// </summary>
    /// <remarks>
    /// The default implementation reads the object from its start and keeps the range in memory: a store should
    /// override it with a real ranged read (a seek, an HTTP Range request).
    /// </remarks>
    async Task<Stream> GetRangeAsync(string key, long offset, long length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        await using var whole = await GetAsync(key, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[81920];
        long skipped = 0;
        while (skipped < offset)
        {
            int read = await whole.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, offset - skipped)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return new MemoryStream([], writable: false);
            }
            skipped += read;
        }
        var range = new MemoryStream();
        while (range.Length < length)
        {
            int read = await whole.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - range.Length)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            range.Write(buffer, 0, read);
        }
        range.Position = 0;
        return range;
    }

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in ordinal key order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}
