namespace SemanticMIM.Planning.Configs;

/// <summary>
/// Matmul and convolution FLOPs (two per multiply-add) of one image, the numerator of model FLOPs utilisation (MFU).
/// Norms, activations, softmax and the optimizer are left out, as MFU conventionally does; a training step is taken
/// as three forwards (forward, and backward to activations and to weights).
/// </summary>
public static class ModelFlops
{
    /// <summary>The plain ViT forward on the full image: [P proxies; N patches] through every block.</summary>
    public static double Encoder(VisionTransformerConfig config) =>
        PatchEmbedding(config) + config.Depth * Block(config, config.NumProxies + config.NumPatches, config.NumProxies + config.NumPatches);

    /// <summary>
    /// The pretraining forward with <paramref name="maskedCount"/> masked patches: the baseline runs [P; visible; mask
    /// tokens] through every block; SemanticMIM runs [P; visible] through the compression stack and the mask tokens,
    /// attending to [P; mask tokens], through the reconstruction stack; then the head on the masked tokens.
    /// </summary>
    public static double PretrainingForward(MimModelConfig config, int maskedCount)
    {
        var encoder = config.Encoder;
        if (maskedCount < 1 || maskedCount >= encoder.NumPatches)
        {
            throw new ArgumentOutOfRangeException(nameof(maskedCount), maskedCount, $"must lie in [1, {encoder.NumPatches})");
        }
        int proxies = encoder.NumProxies;
        int visible = encoder.NumPatches - maskedCount;
        double layers = config.Method == MimMethod.SemanticMim
            ? encoder.Depth * (Block(encoder, proxies + visible, proxies + visible) + Block(encoder, maskedCount, proxies + maskedCount))
            : encoder.Depth * Block(encoder, proxies + encoder.NumPatches, proxies + encoder.NumPatches);
        double head = 2.0 * maskedCount * encoder.EmbedDim * config.HeadOutputDim;
        return PatchEmbedding(encoder) + layers + head;
    }

    /// <summary>One image's share of a training step: forward and backward, three forwards.</summary>
    public static double PretrainingStep(MimModelConfig config, int maskedCount) => 3 * PretrainingForward(config, maskedCount);

    private static double PatchEmbedding(VisionTransformerConfig config) =>
        2.0 * config.NumPatches * config.InChannels * config.PatchSize * config.PatchSize * config.EmbedDim;

    // q and output projections on the queries, k and v on the keys/values, QKᵀ and AV, the MLP on the queries.
    private static double Block(VisionTransformerConfig config, int queries, int keys)
    {
        double d = config.EmbedDim;
        double projections = 2.0 * queries * d * d * 2 + 2.0 * keys * d * 2 * d;
        double attention = 2.0 * queries * keys * d * 2;
        double mlp = 2.0 * queries * d * config.MlpDim * 2;
        return projections + attention + mlp;
    }
}
