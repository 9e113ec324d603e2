using SemanticMIM.Planning.Configs;
namespace SemanticMIM.Training.Tests;

public sealed class WarmupCosineScheduleTests
{
    private static readonly WarmupCosineSchedule Schedule = new(PeakLearningRate: 1.5e-3, MinLearningRate: 1e-5, WarmupSteps: 10, TotalSteps: 110, WarmupStartFactor: 1e-4);

    [Theory]
    [InlineData(0, 1.5e-3 * 1e-4)]
    [InlineData(5, 1.5e-3 * (1e-4 + (1 - 1e-4) * 0.5))]
    [InlineData(9, 1.5e-3 * (1e-4 + (1 - 1e-4) * 0.9))]
    [InlineData(10, 1.5e-3)]
    [InlineData(60, 1e-5 + (1.5e-3 - 1e-5) * 0.5)]
    [InlineData(35, 1e-5 + (1.5e-3 - 1e-5) * 0.5 * (1 + 0.70710678118654757))]
    [InlineData(110, 1e-5)]
    public void MatchesTheClosedForm(int step, double expected) => Assert.Equal(expected, Schedule.At(step), 1e-15);

    [Fact]
    public void RisesDuringWarmupAndFallsAfter()
    {
        var rates = Enumerable.Range(0, 110).Select(Schedule.At).ToList();
        Assert.All(Enumerable.Range(1, 10), t => Assert.True(rates[t] > rates[t - 1]));
        Assert.All(Enumerable.Range(11, 99), t => Assert.True(rates[t] < rates[t - 1]));
    }

    [Fact]
    public void ZeroWarmupStartsAtThePeak() =>
        Assert.Equal(2e-3, new WarmupCosineSchedule(2e-3, 0, 0, 50, 1e-6).At(0));

    [Fact]
    public void FromConfigResolvesTheWarmupFraction()
    {
        var schedule = WarmupCosineSchedule.From(new TrainingConfig { Steps = 200, WarmupFraction = 0.05 });
        Assert.Equal(10, schedule.WarmupSteps);
        Assert.Equal(200, schedule.TotalSteps);
    }
}
