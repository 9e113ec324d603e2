using SemanticMIM.Evaluation.FineTuning;
using SemanticMIM.Training;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

/// <summary>The fine-tuning recipes' schedule: the trainer's, warming up from the configs' 1e-4 of the peak.</summary>
public class FineTuneScheduleTests
{
    [Fact]
    public void WarmsUpLinearlyThenFollowsTheCosineToTheMinimum()
    {
        var schedule = new WarmupCosineSchedule(1e-3, 1e-6, WarmupSteps: 10, TotalSteps: 110, ClassificationFineTuning.WarmupStartFactor);

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
        var schedule = new WarmupCosineSchedule(4e-3, 0, WarmupSteps: 0, TotalSteps: 100, ClassificationFineTuning.WarmupStartFactor);

        Assert.Equal(4e-3, schedule.At(0), 15);
        Assert.Equal(2e-3, schedule.At(50), 15);
        Assert.Equal(0, schedule.At(100), 15);
        Assert.True(Enumerable.Range(0, 100).All(s => schedule.At(s + 1) < schedule.At(s)));
    }
}
