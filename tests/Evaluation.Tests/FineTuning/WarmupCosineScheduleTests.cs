using SemanticMIM.Evaluation.FineTuning;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

public class WarmupCosineScheduleTests
{
    [Fact]
    public void WarmsUpLinearlyThenFollowsTheCosineToTheMinimum()
    {
        var schedule = new WarmupCosineSchedule(peak: 1e-3, minimum: 1e-6, warmupSteps: 10, totalSteps: 110);

        Assert.Equal(1e-7, schedule.At(0), 15);
        Assert.Equal(1e-3 * (1e-4 + (1 - 1e-4) * 0.5), schedule.At(5), 15);
        Assert.Equal(1e-3, schedule.At(10), 15);
        Assert.Equal((1e-3 + 1e-6) / 2, schedule.At(60), 15);
        Assert.Equal(1e-6 + (1e-3 - 1e-6) * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), schedule.At(35), 15);
        Assert.Equal(1e-6, schedule.At(110), 15);
    }

    [Fact]
    public void WithoutWarmupStartsAtThePeakAndEndsAtZero()
    {
        var schedule = new WarmupCosineSchedule(peak: 4e-3, minimum: 0, warmupSteps: 0, totalSteps: 100);

        Assert.Equal(4e-3, schedule.At(0), 15);
        Assert.Equal(2e-3, schedule.At(50), 15);
        Assert.Equal(0, schedule.At(100), 15);
        Assert.True(Enumerable.Range(0, 100).All(s => schedule.At(s + 1) < schedule.At(s)));
    }
}
