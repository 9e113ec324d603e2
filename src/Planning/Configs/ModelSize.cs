namespace SemanticMIM.Planning.Configs;

/// <summary>
/// The parameter count of a pretraining model from its configuration alone, without building it (the orchestrator
/// plans without TorchSharp); a test holds it equal to the built model's count.
/// </summary>
public static class ModelSize
{
    /// <summary>Every trainable parameter of the pretraining model: encoder, reconstruction stack, mask token, final norm, head.</summary>
    public static long Parameters(MimModelConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var encoder = model.Encoder;
        long d = encoder.EmbedDim;
        long patchEmbed = (long)encoder.InChannels * encoder.PatchSize * encoder.PatchSize * d + d;
        long tokens = encoder.NumProxies * d + ((long)encoder.NumProxies + encoder.NumPatches) * d;
        long blocks = (model.Method == MimMethod.SemanticMim ? 2L : 1L) * encoder.Depth * Block(encoder);
        long maskTokenAndNorm = d + 2 * d;
        long head = d * model.HeadOutputDim + model.HeadOutputDim;
        return patchEmbed + tokens + blocks + maskTokenAndNorm + head;
    }

    /// <summary>
    /// One block: two LayerNorms (2D each), q, kv and output projections (4D²), the MLP (2DM + M + D); BEiT adds q and v
    /// biases and the two layer scales (4D) and an output bias (D), MaskFeat full q/k/v biases (3D) and an output bias (D).
    /// </summary>
    private static long Block(VisionTransformerConfig encoder)
    {
        long d = encoder.EmbedDim, m = encoder.MlpDim;
        long biasesAndScales = encoder.Flavour == BlockFlavour.Beit ? 5 * d : 4 * d;
        return 4 * d + 4 * d * d + 2 * d * m + m + d + biasesAndScales;
    }
}
