namespace SemanticMIM.Planning.Configs;

/// <summary>What the pretraining model computes in; weights, gradients and optimizer state are fp32 either way.</summary>
public enum TrainingPrecision
{
    /// <summary>Everything in fp32 (on GPUs, matmuls may use TF32: see <see cref="TrainingConfig.Tf32"/>).</summary>
    Fp32,

    /// <summary>
    /// Linear layers, the patch convolution and attention in bf16 over fp32 master weights; LayerNorm, the residual
    /// stream and the loss in fp32.
    /// </summary>
    Bf16,
}
