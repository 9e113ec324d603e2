using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
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
/// on a bounded queue; the caller's thread only takes aliases of the filled tensors, so the step waits on I/O only
/// when the CPU is saturated. With <see cref="OnlineTargets"/> (<c>target.views: 0</c>) there are no target files: each
/// sample gets a fresh view per epoch, and the caller's thread computes the batch's targets on the training device.
/// What a batch holds depends on its position alone (<see cref="SampleOrder"/>), so resume is exact. A batch's memory
/// is refilled once the caller has disposed the tensors it was given: keep no views of them past that.
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
        var (images, targets, tokenizerImages) = prepared.HandOut();
        _producer.Recycle(prepared);
        return _online is not null ? _online.Batch(images, tokenizerImages) : new TrainingBatch(images, targets!);
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
    /// A batch ready for training, in tensors the producer filled in place (no managed copy of the pixels): normalised
    /// images (B·C·S·S) and the stored targets of their views, or, online, for token targets the same crops at the
    /// tokenizer's input size (B·C·T·T, in [0, 1]). The caller gets aliases in its own dispose scope; once it has
    /// disposed all of them, the producer refills the same memory: fresh 38 MiB batches cost a page fault every 4 KiB
    /// (a quarter of the loader's time at batch 64, measured).
    /// </summary>
    private sealed class PreparedBatch(Tensor images, Tensor? targets, Tensor? tokenizerImages) : IDisposable
    {
        private Tensor[] _handedOut = [];

        public Tensor Images => images;

        public Tensor? Targets => targets;

        public Tensor? TokenizerImages => tokenizerImages;

        /// <summary>Whether the caller has disposed every alias it was handed, so nothing outside the producer holds the memory.</summary>
        public bool Released => _handedOut.All(alias => alias.IsInvalid);

        /// <summary>Aliases made on the caller's thread, so its dispose scope owns them.</summary>
        public (Tensor Images, Tensor? Targets, Tensor? TokenizerImages) HandOut()
        {
            var aliases = (images.alias(), targets?.alias(), tokenizerImages?.alias());
            _handedOut = new[] { aliases.Item1, aliases.Item2, aliases.Item3 }.OfType<Tensor>().ToArray();
            return aliases;
        }

        public void Dispose()
        {
            images.Dispose();
            targets?.Dispose();
            tokenizerImages?.Dispose();
        }
    }

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

        // Batches handed out, oldest first: refilled once released; past this many still held, the oldest is let go.
        private const int HeldBatchesKept = 2;
        private readonly ConcurrentQueue<PreparedBatch> _handedOut = new();

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

        /// <summary>Takes back a batch the caller was handed, to refill its memory once the caller has disposed it.</summary>
        public void Recycle(PreparedBatch batch) => _handedOut.Enqueue(batch);

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
            while (_queue.TryTake(out var left))
            {
                left.Batch?.Dispose();
            }
            while (_handedOut.TryDequeue(out var handed))
            {
                handed.Dispose();
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
            int size = _source._imageSize;
            int imageValues = dataset.Channels * size * size;
            int tokenizerSize = online is { Targets.IsHog: false } ? online.TokenizerInputSize : 0;
            int tokenizerValues = dataset.Channels * tokenizerSize * tokenizerSize;
            var picks = new (ShardSample Sample, ShardTargets? Targets, long SampleIndex, int Index, int View)[BatchSize];
            for (int i = 0; i < BatchSize; i++)
            {
                var (shard, index, epoch) = _source._order.At(position + i);
                var loaded = Load(shard, position + i);
                // Stored targets cycle through their recorded views; online, every epoch has its own view.
                int view = loaded.Targets is { } stored ? (int)(epoch % stored.Views) : checked((int)epoch);
                picks[i] = (loaded.Samples[index], loaded.Targets, _source._firstIndex[shard] + index, index, view);
            }
            var first = picks[0].Targets;
            var batch = Reuse() ?? new PreparedBatch(
                empty([BatchSize, dataset.Channels, size, size]),
                first is null ? null : first.Hog is not null ? empty([BatchSize, first.Patches, first.FeatureDim]) : empty([BatchSize, first.Patches], ScalarType.Int64),
                tokenizerSize > 0 ? empty([BatchSize, dataset.Channels, tokenizerSize, tokenizerSize]) : null);
            try
            {
                // Decoding, rendering and normalising dominate; each image lands in its own slice, so the batch does not depend on the threads.
                Parallel.For(0, BatchSize, _source._decoding, i =>
                {
                    var (sample, targets, sampleIndex, index, view) = picks[i];
                    var image = ModelInput.Decode(sample, dataset);
                    var crop = targets?.View(index, view) ?? online!.Sampler.Sample(image.Width, image.Height, sampleIndex, view);
                    ModelInput.WriteNormalized(ModelInput.RenderView(image, crop, size), dataset, Values<float>(batch.Images, i * imageValues, imageValues));
                    if (batch.TokenizerImages is { } tokenizerImages)
                    {
                        BatchTensors.WritePlanes(online!.Targets.RenderTokenizerInput(image, crop), null, null, Values<float>(tokenizerImages, i * tokenizerValues, tokenizerValues));
                    }
                });
                if (first is not null)
                {
                    GatherTargets(picks, first, batch.Targets!);
                }
                return batch;
            }
            catch
            {
                batch.Dispose();
                throw;
            }
        }

        /// <summary>The oldest handed-out batch if the caller has released it; every batch of one producer has the same shapes.</summary>
        private PreparedBatch? Reuse()
        {
            while (_handedOut.TryPeek(out var oldest))
            {
                if (oldest.Released)
                {
                    _handedOut.TryDequeue(out _);
                    return oldest;
                }
                if (_handedOut.Count <= HeldBatchesKept)
                {
                    return null;
                }
                // Still held by the caller: its aliases keep that memory alive after ours are gone.
                _handedOut.TryDequeue(out _);
                oldest.Dispose();
            }
            return null;
        }

        private void GatherTargets((ShardSample Sample, ShardTargets? Targets, long SampleIndex, int Index, int View)[] picks, ShardTargets first, Tensor destination)
        {
            int width = first.ValuesPerView;
            for (int i = 0; i < BatchSize; i++)
            {
                var (_, targets, _, index, view) = picks[i];
                int offset = (index * targets!.Views + view) * width;
                if (first.Hog is not null)
                {
                    targets.CopyHog(offset, Values<float>(destination, i * width, width));
                }
                else
                {
                    var tokens = Values<long>(destination, i * width, width);
                    for (int j = 0; j < width; j++)
                    {
                        tokens[j] = targets.Tokens![offset + j];
                    }
                }
            }
        }

        /// <summary>A slice of a contiguous CPU tensor's own memory.</summary>
        private static Span<T> Values<T>(Tensor tensor, int start, int length) where T : unmanaged =>
            MemoryMarshal.Cast<byte, T>(tensor.bytes).Slice(start, length);

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
