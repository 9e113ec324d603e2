using System.Security.Cryptography;
using System.Text.Json;
using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// Moves stage inputs and outputs between the object store and local files. Readers that need paths get the
/// object in place from a local store, or a copy under the cache folder from a remote one; outputs are written
/// locally first and uploaded with their commit marker (a manifest) last.
/// </summary>
public sealed class StoreFiles(IObjectStore store, string cacheRoot)
{
    public IObjectStore Store { get; } = store;

    public string CacheRoot { get; } = cacheRoot;

    /// <summary>A local path holding the object <paramref name="key"/>.</summary>
    public async Task<string> LocalFileAsync(string key, CancellationToken cancellation = default)
    {
        if (Store is ILocalObjectStore local)
        {
            return local.LocalPath(key);
        }
        string path = CachePath(key);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temporary = path + ".download";
            await using (var source = await Store.GetAsync(key, cancellation))
            await using (var target = File.Create(temporary))
            {
                await source.CopyToAsync(target, cancellation);
            }
            File.Move(temporary, path, overwrite: true);
        }
        return path;
    }

    /// <summary>A local folder holding every object under <paramref name="prefix"/>.</summary>
    public async Task<string> LocalFolderAsync(string prefix, CancellationToken cancellation = default)
    {
        if (Store is ILocalObjectStore local)
        {
            return local.LocalPath(prefix);
        }
        await foreach (var item in Store.ListAsync(prefix + "/", cancellation))
        {
            await LocalFileAsync(item.Key, cancellation);
        }
        return CachePath(prefix);
    }

    /// <summary>A scratch folder for output that is uploaded afterwards; emptied first.</summary>
    public string ScratchFolder(string key)
    {
        string path = Path.Combine(CacheRoot, "scratch", key.Replace('/', Path.DirectorySeparatorChar));
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Uploads every file of <paramref name="folder"/> under <paramref name="prefix"/>; <paramref name="lastFile"/> goes last.</summary>
    public async Task UploadFolderAsync(string folder, string prefix, string? lastFile, CancellationToken cancellation = default)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .OrderBy(name => name == lastFile ? 1 : 0)
            .ThenBy(name => name, StringComparer.Ordinal)
            .ToList();
        foreach (var name in files)
        {
            await using var content = File.OpenRead(Path.Combine(folder, name.Replace('/', Path.DirectorySeparatorChar)));
            await Store.PutAsync(ObjectKey.Validate($"{prefix}/{name}"), content, cancellation);
        }
    }

    public async Task UploadFileAsync(string path, string key, CancellationToken cancellation = default)
    {
        await using var content = File.OpenRead(path);
        await Store.PutAsync(key, content, cancellation);
    }

    public Task<T?> ReadJsonAsync<T>(string key, JsonSerializerOptions options, CancellationToken cancellation = default)
        where T : class => Store.ReadJsonAsync<T>(key, options, cancellation);

    public Task WriteJsonAsync<T>(string key, T value, JsonSerializerOptions options, CancellationToken cancellation = default) =>
        Store.WriteJsonAsync(key, value, options, cancellation);

    public Task WriteTextAsync(string key, string text, CancellationToken cancellation = default) => Store.WriteTextAsync(key, text, cancellation);

    public Task<string?> ReadTextAsync(string key, CancellationToken cancellation = default) => Store.ReadTextAsync(key, cancellation);

    /// <summary>Whether <paramref name="key"/> exists with the given size and SHA-256.</summary>
    public async Task<bool> VerifyAsync(string key, long bytes, string sha256, CancellationToken cancellation = default)
    {
        if (!await Store.ExistsAsync(key, cancellation))
        {
            return false;
        }
        await using var stream = await Store.GetAsync(key, cancellation);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellation)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        return total == bytes && string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), sha256, StringComparison.OrdinalIgnoreCase);
    }

    private string CachePath(string key) => Path.Combine(CacheRoot, "objects", key.Replace('/', Path.DirectorySeparatorChar));
}
