using System.Globalization;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Planning.Validation;

/// <summary>What a trainer's memory holds at its peak, in bytes, by part (see <see cref="TrainingMemory"/>).</summary>
public sealed record TrainingMemoryEstimate(long Parameters, long WeightsAndGradients, long OptimizerState, long Activations, long Runtime)
{
    public long Total => WeightsAndGradients + OptimizerState + Activations + Runtime;

    /// <summary>"5.2 GiB (weights and gradients 0.7 GiB, AdamW state 0.7 GiB, activations 3.3 GiB, runtime 0.5 GiB)".</summary>
    public override string ToString() =>
        $"{Gib(Total)} (weights and gradients {Gib(WeightsAndGradients)}, AdamW state {Gib(OptimizerState)}, "
        + $"activations {Gib(Activations)}, runtime {Gib(Runtime)})";

    public static string Gib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB");
}

/// <summary>
/// Estimates the memory one trainer needs for a spec, in fp32 (the trainer's precision), before anything runs:
/// <list type="bullet">
/// <item>weights and their gradients: 8 bytes per parameter; AdamW's two moments: 8 more (<see cref="ModelSize"/>);</item>
/// <item>activations kept for the backward pass, per image of a micro-batch (accumulation does not add to them), counted in
/// floats with N patches, N_m = ceil(N·r) of them masked, N_v visible, P proxies, width D, MLP width M, H heads:
/// a self-attention block over T tokens keeps T·(12·D + 2·M) + H·T² (its LayerNorm inputs and outputs, q, k, v, the attention
/// output and its projection, the residual, the MLP's two hidden activations and output, and the attention probabilities
/// where the attention kernel keeps them); a reconstruction block with T_q queries over T_kv keys keeps
/// T_q·(10·D + 2·M) + 4·T_kv·D + H·T_q·T_kv. The baseline runs depth self-attention blocks over P + N tokens; SemanticMIM
/// depth over P + N_v and depth reconstruction blocks with N_m queries over P + N_m. Add the input image and patch embedding
/// (C·S² + 4·N·D), the head and loss (N_m·(3·D + 2·F) for F outputs per patch) and the targets, then the gradients of the
/// largest block's activations, alive while the backward pass goes through it;</item>
/// <item>a fixed 512 MiB for the runtime (libtorch's kernels and workspaces, the .NET runtime, the loader's prefetched batches).</item>
/// </list>
/// Checked against a measured run of the tiny model (<c>TrainingMemoryTests</c> in the training tests): the estimate lies
/// within a factor of 1.5 of the resident memory the training steps add.
/// </summary>
public static class TrainingMemory
{
    public const long RuntimeBytes = 512L << 20;

    private const long FloatBytes = 4;

    public static TrainingMemoryEstimate Estimate(MimModelConfig model, int batchSize, double maskRatio)
    {
        ArgumentNullException.ThrowIfNull(model);
        var encoder = model.Encoder;
        // In doubles: at the spec's largest bounds the count of floats overflows a long; the estimate only needs 3 digits.
        double d = encoder.EmbedDim, m = encoder.MlpDim, heads = encoder.NumHeads, proxies = encoder.NumProxies;
        double patches = encoder.NumPatches;
        double masked = MaskCount.For(encoder.NumPatches, maskRatio);
        double visible = patches - masked;

        double SelfBlock(double tokens) => tokens * (12 * d + 2 * m) + heads * tokens * tokens;
        double CrossBlock(double queries, double keys) => queries * (10 * d + 2 * m) + 4 * keys * d + heads * queries * keys;

        double blocks, largest;
        if (model.Method == MimMethod.SemanticMim)
        {
            double compression = SelfBlock(proxies + visible), reconstruction = CrossBlock(masked, proxies + masked);
            blocks = encoder.Depth * (compression + reconstruction);
            largest = Math.Max(compression, reconstruction);
        }
        else
        {
            largest = SelfBlock(proxies + patches);
            blocks = encoder.Depth * largest;
        }
        double pixels = (double)encoder.InChannels * encoder.ImageSize * encoder.ImageSize;
        double outputs = model.HeadOutputDim;
        // HOG targets are floats for every patch; token targets one int64 (two floats) per patch.
        double targets = model.Target == TargetKind.Hog ? patches * outputs : 2 * patches;
        double perImage = pixels + 4 * patches * d + blocks + masked * (3 * d + 2 * outputs) + targets + largest;
        long activations = (long)Math.Min(FloatBytes * perImage * batchSize, long.MaxValue / 4);

        long parameters = ModelSize.Parameters(model);
        return new TrainingMemoryEstimate(
            Parameters: parameters,
            WeightsAndGradients: 2 * FloatBytes * parameters,
            OptimizerState: 2 * FloatBytes * parameters,
            Activations: activations,
            Runtime: RuntimeBytes);
    }
}
