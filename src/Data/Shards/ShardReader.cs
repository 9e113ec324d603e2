using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SemanticMIM.Data.Shards;

/// <summary>
/// Reads the shards a manifest lists. Each shard's size and SHA-256 are checked against the manifest before any of
/// its samples is returned, once per reader: loaders that read a shard every epoch keep one reader and hash each
/// file once. Entries that share a key (the file name up to its first '.') form one sample.
/// </summary>
public sealed class ShardReader
{
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);

    public ShardReader(string directory)
    {
        _directory = directory;
        Manifest = ShardManifest.Load(directory);
    }

    public ShardManifest Manifest { get; }

    public IEnumerable<ShardSample> ReadAll() => Manifest.Shards.SelectMany(ReadShard);

    public IEnumerable<ShardSample> ReadShard(ShardInfo shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var path = Path.Combine(_directory, shard.Name);
        if (!_verified.ContainsKey(shard.Name + ":" + shard.Sha256))
        {
            Verify(shard, path);
            _verified[shard.Name + ":" + shard.Sha256] = true;
        }
        return ReadVerified(shard, path);
    }

    private static void Verify(ShardInfo shard, string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length != shard.Bytes)
            throw new ShardIntegrityException($"Shard {shard.Name} is {stream.Length} bytes; the manifest says {shard.Bytes}.");
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, shard.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ShardIntegrityException($"Shard {shard.Name} has SHA-256 {actual}; the manifest says {shard.Sha256}.");
    }

    private static IEnumerable<ShardSample> ReadVerified(ShardInfo shard, string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var count = 0;
        string? key = null;
        var parts = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in TarReader.Read(stream, path))
        {
            var (entryKey, extension) = SplitName(entry.Name);
            if (key is not null && entryKey != key)
            {
                yield return new ShardSample(key, parts);
                count++;
                parts = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            }
            key = entryKey;
            if (!parts.TryAdd(extension, entry.Data))
                throw new InvalidDataException($"Shard {shard.Name}: entry {entry.Name} appears twice.");
        }
        if (key is not null)
        {
            yield return new ShardSample(key, parts);
            count++;
        }
        if (count != shard.Samples)
            throw new ShardIntegrityException($"Shard {shard.Name} holds {count} samples; the manifest says {shard.Samples}.");
    }

    /// <summary>"dir/abc.seg.png" → ("dir/abc", "seg.png"), the WebDataset convention.</summary>
    private static (string Key, string Extension) SplitName(string name)
    {
        var fileStart = name.LastIndexOf('/') + 1;
        var dot = name.IndexOf('.', fileStart);
        if (dot < 0)
            throw new InvalidDataException($"Shard entry {name} has no extension.");
        return (name[..dot], name[(dot + 1)..]);
    }
}
