using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Training.Tests;

public sealed class TrainingConfigTests
{
    [Fact]
    public void DefaultsAreValid() => Assert.Empty(new TrainingConfig().Validate());

    [Fact]
    public void ValidateListsEveryProblem()
    {
        var config = new TrainingConfig
        {
            Steps = 0, BatchSize = -1, AccumulationSteps = 0, PeakLearningRate = 0, Beta2 = 1, Epsilon = 0,
            GradientClipNorm = -1, MaskRatio = 1, CheckpointInterval = -2, WarmupStartFactor = 0,
        };

        var problems = config.Validate();

        foreach (var name in new[] { "Steps", "BatchSize", "AccumulationSteps", "PeakLearningRate", "Beta2", "Epsilon", "GradientClipNorm", "MaskRatio", "CheckpointInterval", "WarmupStartFactor" })
        {
            Assert.Contains(problems, p => p.StartsWith(name, StringComparison.Ordinal));
        }
        Assert.Throws<ArgumentException>(config.EnsureValid);
    }

    [Fact]
    public void ThePlanCarriesTheSpecsPrecisionAndTf32Switch()
    {
        var defaults = ExperimentPlan.From(SpecReader.Read("name: x\ntraining: { steps: 5 }")).Training(100);
        var bf16 = ExperimentPlan.From(SpecReader.Read("name: x\ntraining: { steps: 5, precision: bf16, tf32: false }")).Training(100);

        Assert.Equal((TrainingPrecision.Fp32, true), (defaults.Precision, defaults.Tf32));
        Assert.Equal((TrainingPrecision.Bf16, false), (bf16.Precision, bf16.Tf32));
        Assert.Contains(new TrainingConfig { Precision = (TrainingPrecision)9 }.Validate(), p => p.StartsWith("Precision", StringComparison.Ordinal));
    }

    [Fact]
    public void WarmupMustEndBeforeTheRun()
    {
        Assert.Contains(new TrainingConfig { Steps = 10, WarmupSteps = 10 }.Validate(), p => p.Contains("warmup", StringComparison.Ordinal));
        Assert.Equal(5, new TrainingConfig { Steps = 100, WarmupFraction = 0.05 }.ResolvedWarmupSteps);
    }
}
