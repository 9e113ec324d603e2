using SemanticMIM.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Linear-probe features of a frozen encoder (spec (f)): for every layer at once, "patch" = LN(mean of the patch
/// tokens) and "cls" = LN(mean of the P proxy tokens), LN being <see cref="ParameterFreeLayerNorm"/>. The encoder
/// runs in eval mode (spec pitfall 9) without gradients; its training mode is restored afterwards.
/// </summary>
public static class EncoderFeatureExtractor
{
    public const int DefaultBatchSize = 256;

    public static EncoderFeatures Extract(VisionTransformer encoder, Tensor images, int batchSize = DefaultBatchSize) =>
        Extract(encoder, ImageBatches.Of(images, batchSize));

    /// <summary>
    /// Features of the images in <paramref name="imageBatches"/>, (B, C, H, W) each, in order: held in memory, or with
    /// <paramref name="spillFolder"/> written there batch by batch and mapped (<see cref="FeatureFile"/>), so memory does
    /// not grow with the number of images.
    /// </summary>
    public static EncoderFeatures Extract(VisionTransformer encoder, IEnumerable<Tensor> imageBatches, string? spillFolder = null)
    {
        int depth = encoder.Config.Depth;
        int proxies = encoder.Config.NumProxies;
        var device = encoder.parameters().First().device;
        var patchRows = Sinks(depth, "patch", spillFolder);
        var clsRows = Sinks(depth, "cls", spillFolder);
        using var evalMode = new EvalMode(encoder);
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var images in imageBatches)
            {
                using var scope = torch.NewDisposeScope();
                var layers = encoder.ForwardFeatures(images.to(device));
                for (int i = 0; i < depth; i++)
                {
                    patchRows[i].Append(PooledFeature(layers[i][.., proxies..]));
                    clsRows[i].Append(PooledFeature(layers[i][.., ..proxies]));
                }
            }
            if (patchRows[0].Rows == 0)
            {
                throw new ArgumentException("no image batches to extract features from", nameof(imageBatches));
            }
            return new EncoderFeatures(Enumerable.Range(0, depth)
                .Select(i => new LayerFeatures(i + 1, patchRows[i].Finish(), clsRows[i].Finish()))
                .ToArray());
        }
        finally
        {
            foreach (var sink in patchRows.Concat(clsRows))
            {
                sink.Dispose();
            }
        }
    }

    private static IRowSink[] Sinks(int depth, string feature, string? spillFolder) =>
        Enumerable.Range(0, depth)
            .Select(i => spillFolder is null
                ? (IRowSink)new MemoryRows()
                : new FileRows(new FeatureFile(Path.Combine(spillFolder, $"{Guid.NewGuid():N}-layer{i + 1}-{feature}.f32"))))
            .ToArray();

    /// <summary>Where one (layer, feature)'s rows go as the batches pass.</summary>
    private interface IRowSink : IDisposable
    {
        long Rows { get; }

        void Append(Tensor rows);

        Tensor Finish();
    }

    private sealed class MemoryRows : IRowSink
    {
        private readonly List<Tensor> _batches = [];

        public long Rows => _batches.Sum(b => b.shape[0]);

        public void Append(Tensor rows) => _batches.Add(rows.MoveToOuterDisposeScope());

        public Tensor Finish() => torch.cat(_batches, 0);

        public void Dispose()
        {
            foreach (var batch in _batches)
            {
                batch.Dispose();
            }
        }
    }

    private sealed class FileRows(FeatureFile file) : IRowSink
    {
        public long Rows => file.Rows;

        public void Append(Tensor rows) => file.Append(rows);

        public Tensor Finish() => file.Map();

        public void Dispose() => file.Dispose();
    }

    /// <summary>(B, T, D) tokens → (B, D) normalised mean, as float on the CPU.</summary>
    private static Tensor PooledFeature(Tensor tokens) =>
        ParameterFreeLayerNorm.Apply(tokens.mean([1])).to(ScalarType.Float32).cpu();
}
