using SemanticMIM.Planning.Configs;
namespace SemanticMIM.Training;

/// <summary>
/// Per-update learning rate (spec (e)): linear warmup from start_factor·peak towards peak over the first W
/// updates, then a cosine from peak to min over the remaining T − W, as MMEngine's LinearLR followed by
/// CosineAnnealingLR compute it. A pure function of the update index, so resuming needs only the step.
/// </summary>
public sealed record WarmupCosineSchedule(double PeakLearningRate, double MinLearningRate, int WarmupSteps, int TotalSteps, double WarmupStartFactor)
{
    public static WarmupCosineSchedule From(TrainingConfig config) =>
        new(config.PeakLearningRate, config.MinLearningRate, config.ResolvedWarmupSteps, config.Steps, config.WarmupStartFactor);

    /// <summary>The learning rate of the update with 0-based index <paramref name="step"/> (updates already done).</summary>
    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
        {
            return PeakLearningRate * (WarmupStartFactor + (1 - WarmupStartFactor) * step / WarmupSteps);
        }
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps));
        return MinLearningRate + (PeakLearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
