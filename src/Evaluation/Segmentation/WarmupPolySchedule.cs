namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// mmengine's LinearLR (begin 0, end W) followed by PolyLR (begin W, end T), as the learning rate they give the
/// iteration with 0-based index t. Both treat <c>end</c> as exclusive, so the warmup reaches the peak at t = W − 1
/// and the poly decay reaches the minimum at the last iteration t = T − 1:
/// t &lt; W: peak · (s + (1 − s) · t / (W − 1)); t ≥ W: (peak − min) · (1 − (t − W) / (T − W − 1))^power + min.
/// </summary>
public sealed record WarmupPolySchedule(
    double PeakLearningRate, int WarmupIterations, double WarmupStartFactor, int TotalIterations, double Power,
    double MinLearningRate)
{
    public static WarmupPolySchedule From(UperNetRecipe recipe) => new(
        recipe.LearningRate, recipe.WarmupIterations, recipe.WarmupStartFactor, recipe.Iterations, recipe.PolyPower,
        recipe.MinLearningRate);

    /// <summary>The learning rate of the iteration with 0-based index <paramref name="iteration"/>.</summary>
    public double At(int iteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        if (iteration < WarmupIterations)
        {
            double warmupProgress = WarmupIterations > 1 ? (double)iteration / (WarmupIterations - 1) : 0;
            return PeakLearningRate * (WarmupStartFactor + (1 - WarmupStartFactor) * warmupProgress);
        }
        int decaySteps = TotalIterations - WarmupIterations - 1;
        double progress = decaySteps > 0 ? Math.Min(1.0, (double)(iteration - WarmupIterations) / decaySteps) : 0;
        return (PeakLearningRate - MinLearningRate) * Math.Pow(1 - progress, Power) + MinLearningRate;
    }
}
