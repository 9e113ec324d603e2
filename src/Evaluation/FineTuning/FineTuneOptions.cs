using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>How <see cref="ClassificationFineTuning.Run"/> fine-tunes: the recipe and what the recipe leaves open.</summary>
public sealed record FineTuneOptions
{
    public FineTuneRecipe Recipe { get; init; } = FineTuneRecipe.Paper;

    /// <summary>Per-channel mean of images in [0, 1], subtracted after augmentation (spec pitfall 7: one normalisation everywhere).</summary>
    public required IReadOnlyList<float> Mean { get; init; }

    /// <summary>Per-channel standard deviation, divided by after subtracting <see cref="Mean"/>.</summary>
    public required IReadOnlyList<float> Std { get; init; }

    /// <summary>Training and evaluation size; null = the pretrained encoder's. Position embeddings are resized to it.</summary>
    public int? ImageSize { get; init; }

    /// <summary>One separate fine-tuning run per feature, each from the same pretrained weights.</summary>
    public IReadOnlyList<string> Features { get; init; } = [FeatureNames.Patch, FeatureNames.Cls];

    /// <summary>Seeds initialisation, shuffling, augmentation and stochastic depth.</summary>
    public ulong Seed { get; init; }

    /// <summary>Where the model trains; null = the CPU. Images stay on the CPU, are augmented there and move per batch.</summary>
    public Device? Device { get; init; }

    /// <summary>Stops the run between batches when cancelled (a cancelled job); nothing is written then.</summary>
    public CancellationToken Cancellation { get; init; }

    public int EvalBatchSize { get; init; } = 256;
}
