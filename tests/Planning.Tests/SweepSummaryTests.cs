using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning.Statistics;

namespace SemanticMIM.Planning.Tests;

public sealed class SweepSummaryTests
{
    private static readonly SweepSpec Sweep = new()
    {
        Name = "s",
        BaseYaml = "",
        Arms = [new SweepArm("baseline", []), new SweepArm("proxies", [])],
        Axes = [],
        Seeds = [0, 1, 2, 3, 4],
    };

    private static SweepCellOutcome Outcome(string arm, int seed, params (int Layer, double Value)[] probe) =>
        new(new SweepCell { Name = $"{arm}-s{seed}", Arm = arm, Point = [], Seed = seed, SpecYaml = "" }, "hog-1", $"pretrain-{arm}{seed}",
            [
                .. probe.Select(p => new EvaluationResult { Protocol = ProtocolNames.LinearProbe, Encoder = EncoderKinds.Pretrained, Layer = p.Layer, Feature = "cls", Metric = "top1", Value = p.Value }),
                new EvaluationResult { Protocol = ProtocolNames.LinearProbe, Encoder = EncoderKinds.RandomInit, Layer = 2, Feature = "cls", Metric = "top1", Value = 0.99 },
            ], new SweepCellCost(4, 2.0, 1000, 3.0));

    [Fact]
    public void Groups_summarise_their_seeds_and_are_compared_with_the_first_pair_by_pair()
    {
        double[] baseline = [0.60, 0.62, 0.64, 0.61, 0.63];
        double[] proxies = [0.65, 0.66, 0.63, 0.67, 0.64];
        var outcomes = baseline.Select((v, seed) => Outcome("baseline", seed, (1, 0.9), (2, v)))
            .Concat(proxies.Select((v, seed) => Outcome("proxies", seed, (1, 0.9), (2, v)))).ToList();

        var summary = SweepSummary.Of(Sweep, outcomes);

        Assert.Equal(["baseline", "proxies"], summary.Groups.Select(g => g.Label));
        // The last layer's value, of the pretrained encoder only.
        Assert.Equal(0.62, summary.Groups[0].Summary!.Mean, 12);
        Assert.All(summary.Groups[0].Cells, c => Assert.Equal(2, c.Layer));
        var comparison = Assert.Single(summary.Comparisons);
        Assert.Equal(("proxies", "baseline", 5), (comparison.A, comparison.B, comparison.Seeds.Count));
        var paired = comparison.Paired!;
        // Differences 0.05, 0.04, -0.01, 0.06, 0.01: mean 0.03, s = √0.00085, t(0.975, 4) = 2.7764451.
        Assert.Equal(0.03, paired.Difference.Mean, 12);
        Assert.Equal(0.03 + 2.7764451 * Math.Sqrt(0.00085 / 5), paired.Difference.High!.Value, 6);
        Assert.Equal((4, 1, 0), (paired.FavourA, paired.FavourB, paired.Ties));
        Assert.Equal((PairedComparison.DefaultResamples, SweepSummary.BootstrapSeed), (paired.Bootstrap!.Resamples, paired.Bootstrap.Seed));
        Assert.StartsWith("training.seed only", summary.VariedSeeds, StringComparison.Ordinal);
        Assert.All(summary.Groups.SelectMany(g => g.Cells), c => Assert.Equal(new SweepCellCost(4, 2.0, 1000, 3.0), c.Cost));
    }

    [Fact]
    public void A_cells_cost_adds_up_its_logged_step_times_and_its_targets()
    {
        // Steps of 32 images at 16, 32 and 64 images/s: 2 + 1 + 0.5 seconds.
        TrainingPoint[] log = [new(1, 1.0, 1e-3, 0.1, 16), new(2, 0.9, 1e-3, 0.1, 32), new(3, 0.8, 1e-3, 0.1, 64)];

        var stored = SweepCellCost.Of(log, imagesPerStep: 32, targetBytes: 4096, targetSeconds: 1.5);
        var online = SweepCellCost.Of(log, imagesPerStep: 32, targetBytes: 0, targetSeconds: 0);
        var unknown = SweepCellCost.Of(log, imagesPerStep: 32, targetBytes: 4096, targetSeconds: null);

        Assert.Equal(new SweepCellCost(3, 3.5, 4096, 1.5), stored);
        Assert.Equal(3 / 3.5, stored.StepsPerSecond!.Value, 12);
        Assert.Equal(5.0, stored.TotalSeconds);
        Assert.Equal(3.5, online.TotalSeconds);
        Assert.Null(unknown.TotalSeconds);
        Assert.Null(SweepCellCost.Of([], 32, 0, 0).StepsPerSecond);
    }

    [Fact]
    public void The_best_layer_can_be_chosen_and_a_cell_without_the_result_has_no_value_and_no_pair()
    {
        var sweep = Sweep with { Metric = new SweepMetric { Layer = SweepLayer.Best }, ViewSeed = ViewSeedMode.PerSeed };
        var outcomes = new[] { Outcome("baseline", 0, (1, 0.7), (2, 0.5)), Outcome("baseline", 1, (1, 0.6), (2, 0.8)), Outcome("proxies", 0, (1, 0.75)), Outcome("proxies", 1) };

        var summary = SweepSummary.Of(sweep, outcomes);

        Assert.Equal([0.7, 0.8], summary.Groups[0].Cells.Select(c => c.Value!.Value));
        Assert.Equal([1, 2], summary.Groups[0].Cells.Select(c => c.Layer!.Value));
        Assert.Null(summary.Groups[1].Cells[1].Value);
        Assert.Equal(1, summary.Groups[1].Summary!.Count);
        Assert.Equal([0], summary.Comparisons[0].Seeds);
        Assert.Null(summary.Comparisons[0].Paired!.Difference.Low);
        Assert.StartsWith("training.seed and augmentation.seed", summary.VariedSeeds, StringComparison.Ordinal);
    }

    [Fact]
    public void Further_metrics_are_summarised_alike_and_every_layer_is_summarised_per_group()
    {
        var sweep = Sweep with { AlsoReport = [new SweepMetric { Layer = SweepLayer.Best }] };
        var outcomes = new[]
        {
            Outcome("baseline", 0, (1, 0.70), (2, 0.50)), Outcome("baseline", 1, (1, 0.60), (2, 0.80)), Outcome("baseline", 2, (1, 0.65), (2, 0.62)),
            Outcome("proxies", 0, (1, 0.75), (2, 0.55)), Outcome("proxies", 1, (1, 0.66), (2, 0.81)), Outcome("proxies", 2, (1, 0.61), (2, 0.60)),
        };

        var summary = SweepSummary.Of(sweep, outcomes);

        Assert.Equal("linear-probe cls top1, last layer", summary.Metric);
        var best = Assert.Single(summary.Also);
        Assert.Equal("linear-probe cls top1, best layer", best.Metric);
        Assert.Equal([0.70, 0.80, 0.65], best.Groups[0].Cells.Select(c => c.Value!.Value));
        // Best layers 0.75, 0.81, 0.61 against 0.70, 0.80, 0.65: differences 0.05, 0.01, -0.04.
        Assert.Equal(0.02 / 3, best.Comparisons[0].Paired!.Difference.Mean, 12);
        Assert.Empty(best.Also);
        // Layer 1 of the baseline: 0.70, 0.60, 0.65; mean 0.65, s = 0.05, t(0.975, 2) = 4.3026527.
        var layer = summary.Layers.Single(p => p.Group == "baseline" && p.Layer == 1);
        Assert.Equal(0.65, layer.Summary.Mean, 12);
        Assert.Equal(0.65 + 4.3026527 * 0.05 / Math.Sqrt(3), layer.Summary.High!.Value, 6);
        Assert.Equal([("baseline", 1), ("baseline", 2), ("proxies", 1), ("proxies", 2)], summary.Layers.Select(p => (p.Group, p.Layer)));
    }
}
