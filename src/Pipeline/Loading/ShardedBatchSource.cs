using System.Collections.Concurrent;
using System.Diagnostics;
using SemanticMIM.Data.Shards;
using SemanticMIM.Data.Tensors;
using SemanticMIM.Pipeline.Targets;
using SemanticMIM.Planning;
using SemanticMIM.Training;
using static TorchSharp.torch;

namespace SemanticMIM.Pipeline.Loading;

/// <summary>
/// Streams training batches from shards and their target files. A background thread decodes, renders and normalises
/// the recorded views of a batch on <c>workers</c> threads and gathers its targets, up to <c>prefetch</c> batches ahead
/// on a bounded queue; the caller's thread only wraps the ready values in tensors, so the step waits on I/O only
/// when the CPU is saturated. With <see cref="OnlineTargets"/> (<c>target.views: 0</c>) there are no target files: each
/// sample gets a fresh view per epoch, and the caller's thread computes the batch's targets on the training device.
/// What a batch holds depends on its position alone (<see cref="SampleOrder"/>), so resume is exact.
/// </summary>
public sealed class ShardedBatchSource : IBatchSource, IDisposable
{
    private readonly IReadOnlyList<ShardPart> _parts;
    private readonly DatasetPlan _dataset;
    private readonly int _imageSize;
    private readonly SampleOrder _order;
    private readonly int _prefetch;
    private readonly ParallelOptions _decoding;
    private readonly Stopwatch _waiting = new();
    private readonly ConcurrentDictionary<string, ShardReader> _readers = new(StringComparer.Ordinal);
    private readonly OnlineTargets? _online;
    private readonly long[] _firstIndex;
    private Producer? _producer;

    /// <param name="workers">Threads decoding a batch's images; by default one per core.</param>
    /// <param name="online">Computes every step's targets from its own views; then the parts have no target files.</param>
    public ShardedBatchSource(IReadOnlyList<ShardPart> parts, DatasetPlan dataset, int imageSize, long seed, int shardsPerGroup = 2, int prefetch = 4,
        int? workers = null, OnlineTargets? online = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prefetch);
        _decoding = new ParallelOptions { MaxDegreeOfParallelism = workers ?? Environment.ProcessorCount };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_decoding.MaxDegreeOfParallelism, nameof(workers));
        if (parts.Any(p => (p.TargetPath is null) != (online is not null)))
        {
            throw new ArgumentException(online is null
                ? "a shard without a target file needs online targets"
                : "with online targets, shards have no target files", nameof(parts));
        }
        _parts = parts;
        _dataset = dataset;
        _imageSize = imageSize;
        _prefetch = prefetch;
        _online = online;
        _order = new SampleOrder(parts.Select(p => p.Shard.Samples).ToArray(), seed, shardsPerGroup);
        // The global index of each shard's first sample, which seeds its samples' views as in the target stage.
        _firstIndex = new long[parts.Count];
        for (int i = 1; i < parts.Count; i++)
        {
            _firstIndex[i] = _firstIndex[i - 1] + parts[i - 1].Shard.Samples;
        }
    }

    public long Position { get; private set; }

    /// <summary>Samples per epoch.</summary>
    public long Count => _order.Count;

    /// <summary>Time the caller spent waiting for a batch that was not ready yet.</summary>
    public TimeSpan DataWait => _waiting.Elapsed;

    public TrainingBatch Next(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (_producer is null || _producer.BatchSize != batchSize || _producer.NextPosition != Position)
        {
            _producer?.Dispose();
            _producer = new Producer(this, Position, batchSize);
        }
        _waiting.Start();
        var prepared = _producer.Take();
        _waiting.Stop();
        Position += batchSize;
        var images = tensor(prepared.Pixels, [batchSize, _dataset.Channels, _imageSize, _imageSize]);
        if (_online is not null)
        {
            int side = _online.TokenizerInputSize;
            var tokenizerInput = prepared.TokenizerPixels is { } values ? tensor(values, [batchSize, _dataset.Channels, side, side]) : null;
            return _online.Batch(images, tokenizerInput);
        }
        var targets = prepared.Hog is not null
            ? tensor(prepared.Hog, [batchSize, prepared.Patches, prepared.FeatureDim])
            : tensor(prepared.Tokens!, [batchSize, prepared.Patches]);
        return new TrainingBatch(images, targets);
    }

    public void Seek(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        Position = position;
    }

    public void Dispose() => _producer?.Dispose();

    /// <summary>One reader per shard folder for the whole run, so each shard file is hashed once, not every epoch.</summary>
    private ShardReader Reader(string folder) => _readers.GetOrAdd(folder, f => new ShardReader(f));

    /// <summary>
    /// A batch ready for tensors: normalised pixels (B·C·S·S) and the stored targets of its views, or, online, for
    /// token targets the same crops at the tokenizer's input size (B·C·T·T, in [0, 1]).
    /// </summary>
    private sealed record PreparedBatch(float[] Pixels, float[]? Hog, long[]? Tokens, float[]? TokenizerPixels, int Patches, int FeatureDim);

    /// <summary>A shard's samples and, unless targets are online, its target file.</summary>
    private sealed record LoadedShard(IReadOnlyList<ShardSample> Samples, ShardTargets? Targets);

    /// <summary>One background run from a start position; replaced whenever the caller seeks or changes batch size.</summary>
    private sealed class Producer : IDisposable
    {
        private readonly ShardedBatchSource _source;
        private readonly BlockingCollection<(PreparedBatch? Batch, Exception? Error)> _queue;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;
        private readonly Dictionary<int, LoadedShard> _loaded = [];

        public Producer(ShardedBatchSource source, long start, int batchSize)
        {
            _source = source;
            BatchSize = batchSize;
            NextPosition = start;
            _queue = new BlockingCollection<(PreparedBatch?, Exception?)>(source._prefetch);
            _task = Task.Factory.StartNew(() => Run(start), TaskCreationOptions.LongRunning);
        }

        public int BatchSize { get; }

        public long NextPosition { get; private set; }

        public PreparedBatch Take()
        {
            var (batch, error) = _queue.Take();
            if (error is not null)
            {
                throw new InvalidDataException($"preparing the batch at sample {NextPosition} failed: {error.Message}", error);
            }
            NextPosition += BatchSize;
            return batch!;
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _task.Wait();
            }
            catch (AggregateException)
            {
                // The producer's own failure was already delivered through the queue.
            }
            _queue.Dispose();
            _stop.Dispose();
        }

        private void Run(long position)
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    _queue.Add((Prepare(position), null), _stop.Token);
                    position += BatchSize;
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception error)
            {
                _queue.TryAdd((null, error));
            }
        }

        private PreparedBatch Prepare(long position)
        {
            var online = _source._online;
            var dataset = _source._dataset;
            int imageValues = dataset.Channels * _source._imageSize * _source._imageSize;
            int tokenizerValues = online is { Targets.IsHog: false } ? dataset.Channels * online.TokenizerInputSize * online.TokenizerInputSize : 0;
            var pixels = new float[BatchSize * imageValues];
            var tokenizerPixels = tokenizerValues > 0 ? new float[BatchSize * tokenizerValues] : null;
            var picks = new (ShardSample Sample, ShardTargets? Targets, long SampleIndex, int Index, int View)[BatchSize];
            for (int i = 0; i < BatchSize; i++)
            {
                var (shard, index, epoch) = _source._order.At(position + i);
                var loaded = Load(shard, position + i);
                // Stored targets cycle through their recorded views; online, every epoch has its own view.
                int view = loaded.Targets is { } stored ? (int)(epoch % stored.Views) : checked((int)epoch);
                picks[i] = (loaded.Samples[index], loaded.Targets, _source._firstIndex[shard] + index, index, view);
            }
            // Decoding, rendering and normalising dominate; each image lands in its own slice, so the batch does not depend on the threads.
            Parallel.For(0, BatchSize, _source._decoding, i =>
            {
                var (sample, targets, sampleIndex, index, view) = picks[i];
                var image = ModelInput.Decode(sample, dataset);
                var crop = targets?.View(index, view) ?? online!.Sampler.Sample(image.Width, image.Height, sampleIndex, view);
                ModelInput.WriteNormalized(ModelInput.RenderView(image, crop, _source._imageSize), dataset, pixels.AsSpan(i * imageValues, imageValues));
                if (tokenizerPixels is not null)
                {
                    BatchTensors.WritePlanes(online!.Targets.RenderTokenizerInput(image, crop), null, null, tokenizerPixels.AsSpan(i * tokenizerValues, tokenizerValues));
                }
            });
            if (online is not null)
            {
                return new PreparedBatch(pixels, null, null, tokenizerPixels, 0, 0);
            }
            var first = picks[0].Targets!;
            int width = first.ValuesPerView;
            float[]? hog = first.Hog is not null ? new float[BatchSize * width] : null;
            long[]? tokens = first.Hog is null ? new long[BatchSize * width] : null;
            for (int i = 0; i < BatchSize; i++)
            {
                var (_, targets, _, index, view) = picks[i];
                int offset = (index * targets!.Views + view) * width;
                if (hog is not null)
                {
                    for (int j = 0; j < width; j++)
                    {
                        hog[i * width + j] = ShardTargets.HogValue(targets.Hog![offset + j]);
                    }
                }
                else
                {
                    for (int j = 0; j < width; j++)
                    {
                        tokens![i * width + j] = targets.Tokens![offset + j];
                    }
                }
            }
            return new PreparedBatch(pixels, hog, tokens, null, first.Patches, first.FeatureDim);
        }

        private LoadedShard Load(int shard, long position)
        {
            if (_loaded.TryGetValue(shard, out var loaded))
            {
                return loaded;
            }
            var keep = _source._order.GroupOf(position);
            foreach (int stale in _loaded.Keys.Where(k => !keep.Contains(k)).ToList())
            {
                _loaded.Remove(stale);
            }
            var part = _source._parts[shard];
            var samples = _source.Reader(part.ShardFolder).ReadShard(part.Shard).ToList();
            var targets = part.TargetPath is null ? null : ShardTargets.Load(part.TargetPath);
            if (targets is not null && (targets.ShardSha256 != part.Shard.Sha256 || !samples.Select(s => s.Key).SequenceEqual(targets.Keys)))
            {
                throw new InvalidDataException($"{part.TargetPath} does not belong to shard {part.Shard.Name}: its shard checksum or sample keys differ");
            }
            loaded = new LoadedShard(samples, targets);
            _loaded[shard] = loaded;
            return loaded;
        }
    }
}
