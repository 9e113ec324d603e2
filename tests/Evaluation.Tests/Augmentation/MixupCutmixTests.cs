using SemanticMIM.Evaluation.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Augmentation;

public class MixupCutmixTests
{
    [Fact]
    public void SoftTargetsFoldInLabelSmoothing()
    {
        using var scope = torch.NewDisposeScope();

        var targets = MixupCutmix.SoftTargets(torch.tensor(new long[] { 0, 2, 1 }), 4, 1, 0.1);

        var expected = torch.full(3, 4, 0.025f);
        expected[0, 0] = expected[1, 2] = expected[2, 1] = torch.tensor(0.925f);
        Assert.True(targets.allclose(expected, atol: 1e-7));
    }

    [Fact]
    public void MixedTargetsWeighOwnAndReversedLabels()
    {
        using var scope = torch.NewDisposeScope();

        var targets = MixupCutmix.SoftTargets(torch.tensor(new long[] { 0, 1, 2 }), 3, 0.7, 0);

        var expected = torch.tensor(new float[,] { { 0.7f, 0, 0.3f }, { 0, 1, 0 }, { 0.3f, 0, 0.7f } });
        Assert.True(targets.allclose(expected, atol: 1e-6));
    }

    [Fact]
    public void MixupImagesAreTheConvexCombinationWithTheReversedBatch()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(4, 1, 6, 6, generator: new torch.Generator(1));
        var labels = torch.tensor(new long[] { 0, 1, 2, 1 });
        var mixup = new MixupCutmix(numClasses: 3, mixupAlpha: 0.8, cutMixAlpha: 0, labelSmoothing: 0.1);

        var batch = mixup.Apply(images, labels, new torch.Generator(2));

        double lambda = batch.Lambda;
        Assert.False(batch.CutMix);
        Assert.InRange(lambda, 0, 1);
        Assert.True(batch.Images.allclose(lambda * images + (1 - lambda) * images.flip(0), atol: 1e-6));
        Assert.True(batch.Targets.sum(1).allclose(torch.ones(4), atol: 1e-6));
        Assert.True(batch.Targets.allclose(MixupCutmix.SoftTargets(labels, 3, lambda, 0.1), atol: 1e-7));
    }

    [Fact]
    public void CutMixLambdaIsOneMinusTheBoxArea()
    {
        using var scope = torch.NewDisposeScope();
        // Image i is the constant i + 1, so the pasted box shows up as the partner's value.
        var images = torch.arange(1, 5, dtype: ScalarType.Float32).view(4, 1, 1, 1).expand(4, 1, 16, 12).contiguous();
        var labels = torch.tensor(new long[] { 0, 1, 2, 3 });
        var cutmix = new MixupCutmix(numClasses: 4, mixupAlpha: 0, cutMixAlpha: 1, labelSmoothing: 0);
        var generator = new torch.Generator(3);
        int boxes = 0;
        for (int draw = 0; draw < 10; draw++)
        {
            var batch = cutmix.Apply(images, labels, generator);

            Assert.True(batch.CutMix);
            var pasted = batch.Images[0, 0].eq(4);
            long area = pasted.sum().item<long>();
            boxes += area > 0 ? 1 : 0;
            Assert.True(batch.Images[0, 0].eq(1).logical_or(pasted).all().item<bool>());
            Assert.Equal(1 - area / 192.0, batch.Lambda, 12);
            Assert.True(batch.Images[1, 0].eq(3).sum().item<long>() == area);
            Assert.Equal(batch.Lambda, batch.Targets[0, 0].item<float>(), 6);
            Assert.Equal(1 - batch.Lambda, batch.Targets[0, 3].item<float>(), 6);
            Assert.True(batch.Targets.sum(1).allclose(torch.ones(4), atol: 1e-6));
        }
        Assert.True(boxes >= 5, $"only {boxes} of 10 draws pasted a box");
    }

    [Fact]
    public void ProbabilityZeroKeepsTheImagesAndSmoothsTheTargets()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(2, 1, 4, 4, generator: new torch.Generator(4));
        var labels = torch.tensor(new long[] { 1, 0 });

        var batch = new MixupCutmix(2, probability: 0, labelSmoothing: 0.2).Apply(images, labels, new torch.Generator(5));

        Assert.Equal(1, batch.Lambda);
        Assert.True(TensorEquality.Identical(batch.Images, images));
        Assert.True(batch.Targets.allclose(torch.tensor(new float[,] { { 0.1f, 0.9f }, { 0.9f, 0.1f } })));
    }

    [Fact]
    public void MixupLambdaFollowsTheSymmetricBetaDistribution()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(2, 1, 1, 1);
        var labels = torch.tensor(new long[] { 0, 1 });
        var mixup = new MixupCutmix(2, mixupAlpha: 0.8, cutMixAlpha: 0);
        var generator = new torch.Generator(6);

        var lambdas = Enumerable.Range(0, 2000).Select(_ => mixup.Apply(images, labels, generator).Lambda).ToArray();

        // Beta(0.8, 0.8): mean 1/2, variance 1 / (4·(2·0.8 + 1)) ≈ 0.0962.
        double mean = lambdas.Average();
        double variance = lambdas.Select(l => (l - mean) * (l - mean)).Average();
        Assert.InRange(mean, 0.47, 0.53);
        Assert.InRange(variance, 0.082, 0.110);
    }
}
