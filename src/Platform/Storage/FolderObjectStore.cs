using System.Runtime.CompilerServices;
using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// The object store of embedded mode: one file per object under a root folder, written atomically (a temporary file
/// renamed into place) and durably (file and folder flushed to the disk before the put returns).
/// </summary>
public sealed class FolderObjectStore : ILocalObjectStore
{
    private const string TempSuffix = ".partial";
    private readonly string _root;

    public FolderObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        string path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await content.CopyToAsync(file, cancellationToken);
                // On the disk before the rename, and the rename on the disk after: only then does the object count as written.
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            DurableFiles.FlushFolder(Path.GetDirectoryName(path)!);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        string path = PathOf(key);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"object '{key}' does not exist", path);
        }
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));
    }

    public Task<Stream> GetRangeAsync(string key, long offset, long length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        string path = PathOf(key);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"object '{key}' does not exist", path);
        }
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        if (offset >= file.Length || length == 0)
        {
            file.Dispose();
            return Task.FromResult<Stream>(new MemoryStream([], writable: false));
        }
        file.Position = offset;
        return Task.FromResult<Stream>(new RangeReadStream(file, skip: 0, limit: Math.Min(length, file.Length - offset)));
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(PathOf(key)));

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var objects = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(TempSuffix, StringComparison.Ordinal))
            .Select(f => (Key: Path.GetRelativePath(_root, f).Replace(Path.DirectorySeparatorChar, '/'), Path: f))
            .Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(o => o.Key, StringComparer.Ordinal);
        foreach (var (key, path) in objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new StoredObject(key, new FileInfo(path).Length);
        }
        await Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public string LocalPath(string key) => PathOf(key);

    public override string ToString() => $"folder store {_root}";

    private string PathOf(string key) => Path.Combine(_root, ObjectKey.Validate(key).Replace('/', Path.DirectorySeparatorChar));
}
