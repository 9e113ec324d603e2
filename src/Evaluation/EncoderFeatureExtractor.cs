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

    /// <summary>Features of the images in <paramref name="imageBatches"/>, (B, C, H, W) each, in order.</summary>
    public static EncoderFeatures Extract(VisionTransformer encoder, IEnumerable<Tensor> imageBatches)
    {
        int depth = encoder.Config.Depth;
        int proxies = encoder.Config.NumProxies;
        var device = encoder.parameters().First().device;
        var patchBatches = NewLists(depth);
        var clsBatches = NewLists(depth);
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
                    patchBatches[i].Add(PooledFeature(layers[i][.., proxies..]).MoveToOuterDisposeScope());
                    clsBatches[i].Add(PooledFeature(layers[i][.., ..proxies]).MoveToOuterDisposeScope());
                }
            }
            if (patchBatches[0].Count == 0)
            {
                throw new ArgumentException("no image batches to extract features from", nameof(imageBatches));
            }
            return new EncoderFeatures(Enumerable.Range(0, depth)
                .Select(i => new LayerFeatures(i + 1, torch.cat(patchBatches[i], 0), torch.cat(clsBatches[i], 0)))
                .ToArray());
        }
        finally
        {
            foreach (var batch in patchBatches.Concat(clsBatches).SelectMany(list => list))
            {
                batch.Dispose();
            }
        }
    }

    /// <summary>(B, T, D) tokens → (B, D) normalised mean, as float on the CPU.</summary>
    private static Tensor PooledFeature(Tensor tokens) =>
        ParameterFreeLayerNorm.Apply(tokens.mean([1])).to(ScalarType.Float32).cpu();

    private static List<Tensor>[] NewLists(int count) =>
        Enumerable.Range(0, count).Select(_ => new List<Tensor>()).ToArray();
}
