using SemanticMIM.Evaluation.Segmentation;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class WarmupPolyScheduleTests
{
    [Fact]
    public void PaperScheduleWarmsUpOver1500IterationsThenDecaysLinearlyToZero()
    {
        var schedule = WarmupPolySchedule.From(UperNetRecipe.Paper);
        const double peak = 3e-5;

        double Relative(int iteration) => schedule.At(iteration) / peak;

        Assert.Equal(1e-6, Relative(0), 15);
        Assert.Equal(1e-6 + (1 - 1e-6) * 500 / 1499, Relative(500), 12);
        Assert.Equal(1, Relative(1499), 12);
        Assert.Equal(1, Relative(1500), 12);
        Assert.Equal(2 / 3.0, Relative(1500 + 158_499 / 3), 12);
        Assert.Equal(1 / 158_499.0, Relative(159_998), 15);
        Assert.Equal(0, Relative(159_999), 15);
    }

    [Fact]
    public void SmallScheduleMatchesHandValues()
    {
        // W = 5, T = 12: warmup factors 0.2 + 0.8·t/4; the decay runs over the 6 steps 5 → 11.
        var schedule = new WarmupPolySchedule(2.0, 5, 0.2, 12, 2.0, 0.1);

        double[] expected =
        [
            0.4, 0.8, 1.2, 1.6, 2.0,
            2.0, 0.1 + 1.9 * 25 / 36.0, 0.1 + 1.9 * 16 / 36.0, 0.1 + 1.9 * 9 / 36.0, 0.1 + 1.9 * 4 / 36.0, 0.1 + 1.9 / 36.0, 0.1,
        ];
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t], schedule.At(t), 12);
        }
    }
}
