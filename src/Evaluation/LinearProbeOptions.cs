using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// The IN-1K linear-probe recipe of spec (f) (AdamW lr 4e-3, wd 1e-4, batch 1024, cosine to 0, no warmup) with
/// fewer epochs (60 instead of 100), as the experiment spec's evaluation defaults.
/// </summary>
public sealed record LinearProbeOptions
{
    public int Epochs { get; init; } = 60;

    public int BatchSize { get; init; } = 1024;

    public double LearningRate { get; init; } = 4e-3;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Seeds the head initialisation and the per-epoch shuffling.</summary>
    public ulong Seed { get; init; }

    /// <summary>Where the heads train; null = the CPU. Features and labels stay on the CPU and move per batch.</summary>
    public Device? Device { get; init; }

    /// <summary>Stops the run between batches when cancelled (a cancelled job); nothing is written then.</summary>
    public CancellationToken Cancellation { get; init; }

    public const double HeadInitStd = 0.02;
}
