using SemanticMIM.Planning.Statistics;

namespace SemanticMIM.Planning.Tests.Statistics;

public sealed class StatisticsTests
{
    // Two-sided 95% critical values from any t table (e.g. NIST/SEMATECH e-Handbook, Table 1.3.6.7.2), and 0.995 ones.
    [Theory]
    [InlineData(0.975, 1, 12.706)]
    [InlineData(0.975, 2, 4.303)]
    [InlineData(0.975, 4, 2.776)]
    [InlineData(0.975, 9, 2.262)]
    [InlineData(0.975, 29, 2.045)]
    [InlineData(0.975, 100, 1.984)]
    [InlineData(0.975, 1000, 1.962)]
    [InlineData(0.995, 3, 5.841)]
    [InlineData(0.95, 10, 1.812)]
    [InlineData(0.5, 7, 0.0)]
    public void Student_t_quantiles_match_the_textbook_table(double probability, double degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(probability, degreesOfFreedom), 3);
        Assert.Equal(-expected, StudentT.Quantile(1 - probability, degreesOfFreedom), 3);
    }

    [Fact]
    public void The_t_quantile_inverts_the_cdf_and_tends_to_the_normal_for_many_degrees_of_freedom()
    {
        Assert.Equal(0.975, StudentT.Cdf(StudentT.Quantile(0.975, 3.5), 3.5), 12);
        // Cauchy (ν = 1): the CDF is 1/2 + atan(t)/π.
        Assert.Equal(0.5 + Math.Atan(2) / Math.PI, StudentT.Cdf(2, 1), 12);
        Assert.Equal(1.959964, StudentT.Quantile(0.975, 1e7), 5);
    }

    [Fact]
    public void A_sample_of_one_to_five_has_the_textbook_95_percent_t_interval()
    {
        var summary = SampleSummary.Of([1, 2, 3, 4, 5]);

        // Mean 3, s = √2.5, s/√5 = √0.5, t(0.975, 4) = 2.7764451: 3 ± 1.9632432.
        Assert.Equal(5, summary.Count);
        Assert.Equal(3, summary.Mean, 12);
        Assert.Equal(Math.Sqrt(2.5), summary.StdDev!.Value, 12);
        Assert.Equal(1.0367568, summary.Low!.Value, 6);
        Assert.Equal(4.9632432, summary.High!.Value, 6);
    }

    [Fact]
    public void One_value_has_a_mean_but_no_interval_and_no_value_is_refused()
    {
        var one = SampleSummary.Of([0.7]);

        Assert.Equal(0.7, one.Mean);
        Assert.Null(one.StdDev);
        Assert.Null(one.Low);
        Assert.Null(one.HalfWidth);
        Assert.Throws<ArgumentException>(() => SampleSummary.Of([]));
        Assert.Throws<ArgumentException>(() => SampleSummary.Of([1, double.NaN]));
    }

    [Fact]
    public void A_paired_comparison_summarises_the_differences_counts_sides_and_bootstraps_reproducibly()
    {
        // Differences 0.02, 0.05, -0.01, 0.04, 0.00: mean 0.02, s = √0.00065, t(0.975, 4) = 2.7764451.
        (double, double)[] pairs = [(0.72, 0.70), (0.75, 0.70), (0.69, 0.70), (0.74, 0.70), (0.70, 0.70)];

        var comparison = PairedComparison.Of(pairs, resamples: 2000, seed: 7);
        var again = PairedComparison.Of(pairs, resamples: 2000, seed: 7);

        Assert.Equal(0.02, comparison.Difference.Mean, 12);
        double halfWidth = 2.7764451 * Math.Sqrt(0.00065 / 5);
        Assert.Equal(0.02 - halfWidth, comparison.Difference.Low!.Value, 6);
        Assert.Equal(0.02 + halfWidth, comparison.Difference.High!.Value, 6);
        Assert.Equal((3, 1, 1), (comparison.FavourA, comparison.FavourB, comparison.Ties));
        var bootstrap = Assert.IsType<BootstrapInterval>(comparison.Bootstrap);
        Assert.Equal(again.Bootstrap, bootstrap);
        Assert.Equal((2000, 7), (bootstrap.Resamples, bootstrap.Seed));
        Assert.Contains("percentile bootstrap", bootstrap.Method, StringComparison.Ordinal);
        // A resampled mean lies between the smallest and largest difference; the percentile interval is narrower than t's here.
        Assert.InRange(bootstrap.Low, -0.01, 0.02);
        Assert.InRange(bootstrap.High, 0.02, 0.05);
        Assert.True(bootstrap.High - bootstrap.Low < 2 * halfWidth);
    }

    [Fact]
    public void Identical_differences_give_a_degenerate_bootstrap_and_fewer_than_five_pairs_none()
    {
        var constant = PairedComparison.Of([(1.0, 0.5), (2.0, 1.5), (3.0, 2.5), (4.0, 3.5), (5.0, 4.5)]);
        var four = PairedComparison.Of([(1.0, 0.5), (2.0, 1.5), (3.0, 2.5), (4.0, 3.0)]);

        Assert.Equal((0.5, 0.5), (constant.Bootstrap!.Low, constant.Bootstrap.High));
        Assert.Equal(0.5, constant.Difference.Low!.Value, 12);
        Assert.Null(four.Bootstrap);
        Assert.Equal(4, four.FavourA);
    }
}
