using SemanticMIM.Evaluation.Augmentation;
using SemanticMIM.Evaluation.FineTuning;
using SemanticMIM.Evaluation.Tests.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.FineTuning;

public class FineTuneAugmentationTests
{
    private static readonly float[] Mean = [0.4f];
    private static readonly float[] Std = [0.2f];

    [Fact]
    public void PaperRecipeNormalisesTheTrainingViewWithOneHotTargets()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(5, 1, 16, 16, generator: new torch.Generator(1));
        var labels = torch.tensor(new long[] { 0, 2, 1, 1, 0 });
        var augmentation = new FineTuneAugmentation(FineTuneRecipe.Paper, Mean, Std, numClasses: 3);

        var (batch, targets) = augmentation.TrainingBatch(images, labels, 8, new torch.Generator(2));

        var views = new ClassificationViews().Train(images, 8, new torch.Generator(2));
        Assert.True(batch.allclose((views - 0.4f) / 0.2f, atol: 1e-5));
        Assert.True(TensorEquality.Identical(targets, nn.functional.one_hot(labels, 3).to(ScalarType.Float32)));
    }

    [Fact]
    public void CodeRecipesGiveDeterministicSoftTargetsThatSumToOne()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(6, 1, 16, 16, generator: new torch.Generator(3));
        var labels = torch.tensor(new long[] { 0, 1, 2, 3, 0, 1 });
        foreach (var recipe in new[] { FineTuneRecipe.BeitCode, FineTuneRecipe.MaskFeatCode })
        {
            var augmentation = new FineTuneAugmentation(recipe, Mean, Std, numClasses: 4);

            var (batch, targets) = augmentation.TrainingBatch(images, labels, 8, new torch.Generator(4));
            var (again, againTargets) = augmentation.TrainingBatch(images, labels, 8, new torch.Generator(4));

            Assert.Equal([6L, 1L, 8L, 8L], batch.shape);
            Assert.Equal([6L, 4L], targets.shape);
            Assert.True(targets.sum(1).allclose(torch.ones(6), atol: 1e-6));
            // Smoothing 0.1 over 4 classes: no target below 0.025.
            Assert.True(targets.min().item<float>() >= 0.025f - 1e-6f);
            Assert.True(TensorEquality.Identical(batch, again) && TensorEquality.Identical(targets, againTargets));
        }
    }

    [Fact]
    public void TestBatchIsTheNormalisedCentreView()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(2, 1, 8, 8, generator: new torch.Generator(5));
        var augmentation = new FineTuneAugmentation(FineTuneRecipe.BeitCode, Mean, Std, numClasses: 2);

        var view = augmentation.TestBatch(images, 7);

        Assert.True(view.allclose((images[.., .., 0..7, 0..7] - 0.4f) / 0.2f, atol: 1e-5));
    }
}
