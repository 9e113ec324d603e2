namespace SemanticMIM.Planning.Configs;

/// <summary>
/// The parameter count of a pretraining model from its configuration alone, without building it (the orchestrator
/// plans without TorchSharp); a test holds it equal to the built model's count. Counted in checked arithmetic: a
/// configuration read from a damaged file may be absurd, and a count that wrapped around would look small.
/// </summary>
public static class ModelSize
{
    /// <summary>Every trainable parameter of the pretraining model: encoder, reconstruction stack, mask token, final norm, head.</summary>
    public static long Parameters(MimModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var encoder = model.Encoder;
        long d = encoder.EmbedDim;
        checked
        {
            long reconstruction = model.Method == MimMethod.SemanticMim ? encoder.Depth * Block(encoder) : 0;
            long maskTokenAndNorm = d + 2 * d;
            long head = d * model.HeadOutputDim + model.HeadOutputDim;
            return Encoder(encoder) + reconstruction + maskTokenAndNorm + head;
        }
    }

    /// <summary>The plain encoder kept after pretraining: patch embedding, proxy tokens, position embeddings, blocks.</summary>
    public static long Encoder(VisionTransformerConfig encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        long d = encoder.EmbedDim;
        checked
        {
            long patchEmbed = (long)encoder.InChannels * encoder.PatchSize * encoder.PatchSize * d + d;
            long patches = (long)encoder.GridSize * encoder.GridSize;
            long tokens = encoder.NumProxies * d + (encoder.NumProxies + patches) * d;
            return patchEmbed + tokens + encoder.Depth * Block(encoder);
        }
    }

    /// <summary>
    /// One block: two LayerNorms (2D each), q, kv and output projections (4D²), the MLP (2DM + M + D); BEiT adds q and v
    /// biases and the two layer scales (4D) and an output bias (D), MaskFeat full q/k/v biases (3D) and an output bias (D).
    /// </summary>
    private static long Block(VisionTransformerConfig encoder)
    {
        long d = encoder.EmbedDim, m = encoder.MlpDim;
        long biasesAndScales = encoder.Flavour == BlockFlavour.Beit ? 5 * d : 4 * d;
        return checked(4 * d + 4 * d * d + 2 * d * m + m + d + biasesAndScales);
    }
}
