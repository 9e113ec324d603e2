using SemanticMIM.Evaluation.FineTuning;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

public class FineTuneRecipeTests
{
    [Fact]
    public void PaperPresetIsTableThree()
    {
        var paper = FineTuneRecipe.Named("paper");

        Assert.Equal(
            (100, 1024, 4e-3, 0.0, 0.0, 1e-4, 1.0, 0.1),
            (paper.Epochs, paper.BatchSize, paper.LearningRate, paper.MinLearningRate, paper.WarmupEpochs, paper.WeightDecay, paper.LayerDecay, paper.DropPath));
        Assert.Equal(
            (0.0, 0.0, 0.0, false, 0.0, 0.0, 0.08),
            (paper.LabelSmoothing, paper.Mixup, paper.CutMix, paper.RandAugment, paper.ColorJitter, paper.RandomErasing, paper.MinScale));
        Assert.Empty(paper.Validate());
    }

    [Fact]
    public void CodePresetsAreTheOfficialConfigs()
    {
        var beit = FineTuneRecipe.Named("beit-code");
        var maskFeat = FineTuneRecipe.Named("MaskFeat-Code");

        Assert.Equal(
            (100, 4e-3, 1e-6, 20.0, 0.05, 0.65, 0.1, 0.1),
            (beit.Epochs, beit.LearningRate, beit.MinLearningRate, beit.WarmupEpochs, beit.WeightDecay, beit.LayerDecay, beit.DropPath, beit.LabelSmoothing));
        Assert.Equal(
            (0.8, 1.0, true, 0.25, 0.0, 0.02, (0.9, 0.999)),
            (beit.Mixup, beit.CutMix, beit.RandAugment, beit.RandomErasing, beit.ColorJitter, beit.HeadInitStd, beit.Betas));
        Assert.Equal(
            FineTuneRecipe.BeitCode with { Name = "maskfeat-code", LearningRate = 8e-3, ColorJitter = 0.4, HeadInitStd = 2e-5 },
            maskFeat);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => FineTuneRecipe.Named("mae"));

        Assert.Equal(["paper", "beit-code", "maskfeat-code"], FineTuneRecipe.Names);
        Assert.Contains("'mae'", error.Message);
        Assert.Contains("paper, beit-code, maskfeat-code", error.Message);
    }

    [Fact]
    public void WithEpochsScalesTheWarmup()
    {
        var shortened = FineTuneRecipe.BeitCode.WithEpochs(5);

        Assert.Equal(5, shortened.Epochs);
        Assert.Equal(1, shortened.WarmupEpochs);
        Assert.Equal(FineTuneRecipe.BeitCode with { Epochs = 5, WarmupEpochs = 1 }, shortened);
    }

    [Fact]
    public void DescribeNamesEverySettingAndEachChangeFromThePreset()
    {
        string shortened = (FineTuneRecipe.BeitCode.WithEpochs(5) with { BatchSize = 64 }).Describe();
        string paper = FineTuneRecipe.Paper.Describe();
        string custom = (FineTuneRecipe.Paper with { Name = "toy" }).Describe();

        foreach (string setting in new[]
        {
            "epochs 5", "batch 64", "AdamW lr 0.004", "cosine to 1E-06", "warmup epochs 1", "weight decay 0.05",
            "layer decay 0.65", "betas (0.9, 0.999)", "drop path 0.1", "label smoothing 0.1", "mixup 0.8", "cutmix 1",
            "randaugment rand-m9-n2-mstd0.5-inc1", "colour jitter off", "random erasing 0.25", "crop scale (0.08, 1) + flip",
            "head init std 0.02",
        })
        {
            Assert.Contains(setting, shortened);
        }
        Assert.StartsWith("beit-code: ", shortened);
        Assert.EndsWith("changed from the beit-code preset: epochs 100 → 5, batch 1024 → 64, warmup epochs 20 → 1", shortened);
        Assert.Contains("layer decay none", paper);
        Assert.Contains("mixup off", paper);
        Assert.EndsWith("as the paper preset", paper);
        Assert.EndsWith("custom recipe, no preset of that name", custom);
        Assert.DoesNotContain('\n', shortened);
    }

    [Fact]
    public void ValidateListsEveryProblem()
    {
        var broken = FineTuneRecipe.Paper with { BatchSize = 0, LayerDecay = 1.5, HeadInitStd = 0 };

        var problems = broken.Validate();

        Assert.Equal(3, problems.Count);
        Assert.Throws<ArgumentException>(broken.EnsureValid);
    }
}
