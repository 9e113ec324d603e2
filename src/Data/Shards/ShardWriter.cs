using System.Security.Cryptography;
using SemanticMIM.Data.Datasets;

namespace SemanticMIM.Data.Shards;

/// <summary>
/// Writes one data set split as numbered tar shards (shard-000000.tar, …) plus manifest.json in <c>directory</c>.
/// Each shard is written under a temporary name and renamed when complete; the manifest is written last.
/// </summary>
public sealed class ShardWriter : IDisposable
{
    private readonly string _directory;
    private readonly string _dataset;
    private readonly string _split;
    private readonly int _classCount;
    private readonly ShardWriterOptions _options;
    private readonly List<ShardInfo> _shards = [];
    private readonly List<SkippedSource> _skipped = [];
    private readonly HashSet<string> _keysInShard = new(StringComparer.Ordinal);
    private TarWriter? _tar;
    private int _samplesInShard;
    private readonly int _firstShardIndex;
    private bool _completed;

    /// <param name="firstShardIndex">Number of the first shard written, for a unit that writes one shard of a larger split.</param>
    public ShardWriter(string directory, string dataset, string split, int classCount, ShardWriterOptions? options = null, int firstShardIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstShardIndex);
        _firstShardIndex = firstShardIndex;
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        ArgumentException.ThrowIfNullOrEmpty(split);
        ArgumentOutOfRangeException.ThrowIfNegative(classCount);
        _options = options ?? new ShardWriterOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxSamplesPerShard);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxBytesPerShard);
        Directory.CreateDirectory(directory);
        _directory = directory;
        _dataset = dataset;
        _split = split;
        _classCount = classCount;
    }

    public static string ShardName(int index) => $"shard-{index:D6}.tar";

    /// <summary>Writes every sample of <paramref name="reader"/> and its skipped sources; returns the manifest.</summary>
    public static ShardManifest WriteDataset(IDatasetReader reader, string directory, ShardWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var writer = new ShardWriter(directory, reader.DatasetName, reader.Split, reader.ClassCount, options);
        foreach (var sample in reader.Read())
            writer.Add(sample);
        writer.AddSkipped(reader.Skipped);
        return writer.Complete();
    }

    public void Add(DatasetSample sample)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var entries = ShardSampleEncoder.Encode(sample, _options);
        var size = entries.Sum(e => TarWriter.EntrySize(e.Data.Length));
        if (_tar is not null && (_samplesInShard >= _options.MaxSamplesPerShard
                                 || _tar.Position + size + TarWriter.EndOfArchiveSize > _options.MaxBytesPerShard))
            CloseShard();
        if (!_keysInShard.Add(sample.Key))
            throw new ArgumentException($"Duplicate sample key '{sample.Key}' in shard {ShardName(_firstShardIndex + _shards.Count)}.", nameof(sample));
        _tar ??= OpenShard();
        foreach (var entry in entries)
            _tar.Write(entry.Name, entry.Data);
        _samplesInShard++;
    }

    public void AddSkipped(IEnumerable<SkippedSource> skipped) => _skipped.AddRange(skipped);

    /// <summary>Closes the last shard and writes the manifest, which lists only complete shards.</summary>
    public ShardManifest Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_tar is not null)
            CloseShard();
        _completed = true;
        var manifest = new ShardManifest(_dataset, _split, _classCount, _shards.Sum(s => s.Samples), _shards.ToArray(), _skipped.ToArray());
        manifest.Save(_directory);
        return manifest;
    }

    /// <summary>Without <see cref="Complete"/>, drops the shard in progress; shards already renamed stay, but no manifest names them.</summary>
    public void Dispose()
    {
        if (_tar is null)
            return;
        _tar.Dispose();
        _tar = null;
        File.Delete(AtomicFile.TemporaryPath(CurrentShardPath));
    }

    private string CurrentShardPath => Path.Combine(_directory, ShardName(_firstShardIndex + _shards.Count));

    private TarWriter OpenShard()
    {
        var stream = new FileStream(AtomicFile.TemporaryPath(CurrentShardPath), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return new TarWriter(stream);
    }

    private void CloseShard()
    {
        var path = CurrentShardPath;
        var temporary = AtomicFile.TemporaryPath(path);
        _tar!.Dispose();
        _tar = null;
        string sha256;
        long bytes;
        using (var stream = File.OpenRead(temporary))
        {
            bytes = stream.Length;
            sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        AtomicFile.Commit(temporary, path);
        _shards.Add(new ShardInfo(Path.GetFileName(path), _samplesInShard, bytes, sha256));
        _samplesInShard = 0;
        _keysInShard.Clear();
    }
}
