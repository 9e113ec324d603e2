namespace SemanticMIM.Planning.Statistics;

/// <summary>
/// A sample's mean with its two-sided Student-t interval (over seeds, say): mean ± t(1 − α/2, n − 1)·s/√n.
/// With one value there is no spread, so <see cref="StdDev"/> and the interval are null.
/// </summary>
public sealed record SampleSummary(int Count, double Mean, double? StdDev, double? Low, double? High, double Confidence)
{
    public const double DefaultConfidence = 0.95;

    /// <summary>Half the interval's width, or null without one.</summary>
    public double? HalfWidth => High - Mean;

    /// <exception cref="ArgumentException">No values, or a value that is not finite.</exception>
    public static SampleSummary Of(IReadOnlyList<double> values, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0 || values.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("a summary needs at least one value, every one finite", nameof(values));
        }
        double mean = values.Average();
        if (values.Count == 1)
        {
            return new SampleSummary(1, mean, null, null, null, confidence);
        }
        double stdDev = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double halfWidth = StudentT.Quantile(1 - (1 - confidence) / 2, values.Count - 1) * stdDev / Math.Sqrt(values.Count);
        return new SampleSummary(values.Count, mean, stdDev, mean - halfWidth, mean + halfWidth, confidence);
    }
}
