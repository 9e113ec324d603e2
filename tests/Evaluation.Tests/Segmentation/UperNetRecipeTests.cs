using SemanticMIM.Evaluation.Segmentation;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class UperNetRecipeTests
{
    [Fact]
    public void PaperRecipeHoldsTheReferenceConfig()
    {
        var paper = UperNetRecipe.Named("paper");

        Assert.Same(UperNetRecipe.Paper, paper);
        Assert.Equal((640, 160_000, 16), (paper.CropSize, paper.Iterations, paper.BatchSize));
        Assert.Equal((3e-5, 0.05, 0.9, 0.999), (paper.LearningRate, paper.WeightDecay, paper.Beta1, paper.Beta2));
        Assert.Equal((0.9, 1500, 1e-6, 1.0), (paper.LayerDecayRate, paper.WarmupIterations, paper.WarmupStartFactor, paper.PolyPower));
        Assert.Equal((768, 256, 0.4, 0.1, 0.1), (paper.DecodeChannels, paper.AuxiliaryChannels, paper.AuxiliaryLossWeight, paper.DropoutRate, paper.DropPathRate));
        Assert.Equal([1, 2, 3, 6], paper.PoolScales);
        Assert.Equal(426, paper.TestStride);
        Assert.Equal(21, UperNetRecipe.Tiny.TestStride);
    }

    [Fact]
    public void UnknownNamesListTheValidOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => UperNetRecipe.Named("ade"));
        Assert.Contains("paper", error.Message);
        Assert.Contains("tiny", error.Message);
    }

    [Fact]
    public void DescribeNamesEverySettingAndOnlyTheRealDeviations()
    {
        var paper = UperNetRecipe.Paper.Describe();
        var shortened = (UperNetRecipe.Paper with { Iterations = 200, BatchSize = 4 }).Describe();

        Assert.DoesNotContain('\n', paper);
        foreach (var setting in new[] { "crop 640", "iterations 160000", "batch 16", "AdamW lr 3E-05", "layer decay 0.9", "warmup 1500", "stride 426", "hue ±18/180" })
        {
            Assert.Contains(setting, paper);
        }
        var paperDeviations = paper[paper.IndexOf("deviations", StringComparison.Ordinal)..];
        Assert.DoesNotContain("→", paperDeviations);
        Assert.Contains("BatchNorm instead of SyncBN", paperDeviations);
        Assert.Contains("iterations 160000 → 200", shortened);
        Assert.Contains("batch 16 → 4", shortened);
        Assert.DoesNotContain("crop 640 →", shortened);
    }

    [Fact]
    public void OptionsOverrideTheRecipeAndScaleTheWarmupWithTheIterations()
    {
        var options = new UperNetOptions { CropSize = 64, Iterations = 16_000, BatchSize = 8, LearningRate = 1e-4 };

        var recipe = options.EffectiveRecipe();

        Assert.Equal((64, 16_000, 8, 1e-4, 150), (recipe.CropSize, recipe.Iterations, recipe.BatchSize, recipe.LearningRate, recipe.WarmupIterations));
        Assert.Equal(UperNetRecipe.Paper, new UperNetOptions().EffectiveRecipe());
    }

    [Fact]
    public void ValidationListsEveryProblem()
    {
        var broken = UperNetRecipe.Paper with { CropSize = 100, BatchSize = 1, WarmupIterations = 200_000 };

        var problems = broken.Validate(patchSize: 16);

        Assert.Equal(3, problems.Count);
        Assert.Empty(UperNetRecipe.Paper.Validate(16));
        Assert.Empty(UperNetRecipe.Tiny.Validate(4));
    }
}
