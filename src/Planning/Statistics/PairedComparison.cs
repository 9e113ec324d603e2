namespace SemanticMIM.Planning.Statistics;

/// <summary>How a bootstrap interval was drawn, so that a report can state it and anyone can redraw it.</summary>
public sealed record BootstrapInterval(double Low, double High, string Method, int Resamples, int Seed);

/// <summary>
/// Two arms measured on the same seeds, compared pair by pair: the differences A − B summarised with a Student-t
/// interval, a percentile bootstrap interval of their mean (from <see cref="MinPairsForBootstrap"/> pairs on; with
/// fewer the resamples take too few distinct values to mean anything), and how many pairs favour each side.
/// </summary>
public sealed record PairedComparison(SampleSummary Difference, BootstrapInterval? Bootstrap, int FavourA, int FavourB, int Ties)
{
    public const int MinPairsForBootstrap = 5;

    public const int DefaultResamples = 10_000;

    public const string BootstrapMethod = "percentile bootstrap of the mean difference (pairs resampled with replacement, System.Random)";

    /// <param name="pairs">(A, B) measured on the same seed.</param>
    /// <param name="seed">Seeds the resampling, so the interval is reproducible.</param>
    public static PairedComparison Of(IReadOnlyList<(double A, double B)> pairs, int resamples = DefaultResamples, int seed = 0,
        double confidence = SampleSummary.DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resamples);
        var differences = pairs.Select(p => p.A - p.B).ToArray();
        var summary = SampleSummary.Of(differences, confidence);
        var bootstrap = differences.Length >= MinPairsForBootstrap ? BootstrapMean(differences, resamples, seed, confidence) : null;
        return new PairedComparison(summary, bootstrap, differences.Count(d => d > 0), differences.Count(d => d < 0), differences.Count(d => d == 0));
    }

    private static BootstrapInterval BootstrapMean(double[] differences, int resamples, int seed, double confidence)
    {
        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < differences.Length; i++)
            {
                sum += differences[random.Next(differences.Length)];
            }
            means[r] = sum / differences.Length;
        }
        Array.Sort(means);
        double alpha = 1 - confidence;
        return new BootstrapInterval(Percentile(means, alpha / 2), Percentile(means, 1 - alpha / 2), BootstrapMethod, resamples, seed);
    }

    /// <summary>The <paramref name="p"/>-quantile of sorted values, interpolated linearly between order statistics.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
