using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// How <see cref="UperNetSegmentation.Run"/> fine-tunes: a <see cref="UperNetRecipe"/> plus optional overrides,
/// the input statistics and the label convention. Images are float [0, 1], normalised after augmentation.
/// </summary>
public sealed record UperNetOptions
{
    public UperNetRecipe Recipe { get; init; } = UperNetRecipe.Paper;

    /// <summary>Overrides the recipe's crop; must be a multiple of the encoder's patch size.</summary>
    public int? CropSize { get; init; }

    /// <summary>Overrides the recipe's iterations; the warmup is scaled in proportion (1500/160000 for the paper).</summary>
    public int? Iterations { get; init; }

    public int? BatchSize { get; init; }

    public double? LearningRate { get; init; }

    /// <summary>Per-channel mean of [0, 1] inputs; ImageNet's by default (spec pitfall 7: one normalisation everywhere).</summary>
    public IReadOnlyList<double> Mean { get; init; } = [0.485, 0.456, 0.406];

    public IReadOnlyList<double> Std { get; init; } = [0.229, 0.224, 0.225];

    /// <summary>
    /// True when the labels are raw ADE ids (0 = "other", 1..150): 0 → 255, k → k − 1. False for labels already
    /// reduced, as <c>Ade20kReader</c> produces them.
    /// </summary>
    public bool ReduceZeroLabel { get; init; }

    /// <summary>Seeds the head initialisation, the sampling, the augmentation and TorchSharp's global generator (dropout, drop path).</summary>
    public ulong Seed { get; init; }

    /// <summary>Where the model trains; null = the CPU. Data stay where they are and move per batch.</summary>
    public Device? Device { get; init; }

    /// <summary>Stops the run between batches when cancelled (a cancelled job); nothing is written then.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The recipe with the overrides applied.</summary>
    public UperNetRecipe EffectiveRecipe()
    {
        var recipe = Recipe;
        if (CropSize is { } crop)
        {
            recipe = recipe with { CropSize = crop };
        }
        if (Iterations is { } iterations)
        {
            int warmup = (int)Math.Round((double)Recipe.WarmupIterations * iterations / Recipe.Iterations, MidpointRounding.AwayFromZero);
            recipe = recipe with { Iterations = iterations, WarmupIterations = warmup };
        }
        if (BatchSize is { } batchSize)
        {
            recipe = recipe with { BatchSize = batchSize };
        }
        if (LearningRate is { } learningRate)
        {
            recipe = recipe with { LearningRate = learningRate };
        }
        return recipe;
    }
}
