namespace SemanticMIM.Evaluation.FineTuning;

/// <summary>
/// Per-step learning rate as the official configs' mmengine schedulers: LinearLR from <see cref="WarmupStartFactor"/>
/// of the peak to the peak over the W warmup steps, then CosineAnnealingLR from the peak down to the minimum, reached
/// at step T just after the last: lr(s) = min + (peak − min)·(1 + cos(π·(s − W)/(T − W)))/2.
/// </summary>
public sealed class WarmupCosineSchedule
{
    /// <summary>The configs' LinearLR start_factor.</summary>
    public const double WarmupStartFactor = 1e-4;

    public WarmupCosineSchedule(double peak, double minimum, long warmupSteps, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalSteps, warmupSteps);
        Peak = peak;
        Minimum = minimum;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    public double Peak { get; }

    public double Minimum { get; }

    public long WarmupSteps { get; }

    public long TotalSteps { get; }

    /// <summary>The learning rate of step <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        if (step < WarmupSteps)
        {
            return Peak * (WarmupStartFactor + (1 - WarmupStartFactor) * step / WarmupSteps);
        }
        double progress = (double)Math.Min(step - WarmupSteps, TotalSteps - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Minimum + (Peak - Minimum) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
