using SemanticMIM.Evaluation.Augmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Augmentation;

public class RandAugmentTests
{
    private static Tensor Fill(long channels, float value = 0.5f) => torch.full(channels, value);

    private static Tensor Apply(Tensor image, RandAugmentOp op, double argument, float fill = 0.5f) =>
        RandAugment.ApplyOp(image, op, argument, Fill(image.shape[0], fill));

    [Theory]
    [InlineData(1, 10, 12)]
    [InlineData(3, 10, 12)]
    [InlineData(2, 2, 2)]
    public void EveryOperationKeepsShapeAndRange(int channels, int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.rand(channels, height, width, generator: new torch.Generator(1));
        foreach (var op in Enum.GetValues<RandAugmentOp>())
        {
            foreach (bool negate in new[] { false, true })
            {
                var result = Apply(image, op, RandAugment.Argument(op, 9, negate));

                Assert.Equal(image.shape, result.shape);
                Assert.True(result.min().item<float>() >= 0 && result.max().item<float>() <= 1, $"{op} left [0, 1]");
            }
        }
    }

    [Fact]
    public void BatchesAreDeterministicPerSeedAndStayInRange()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(8, 1, 12, 12, generator: new torch.Generator(2));
        var augment = new RandAugment(fill: [0.3f]);

        var first = augment.Apply(images, new torch.Generator(3));
        var second = augment.Apply(images, new torch.Generator(3));
        var other = augment.Apply(images, new torch.Generator(4));

        Assert.Equal(images.shape, first.shape);
        Assert.True(TensorEquality.Identical(first, second));
        Assert.False(TensorEquality.Identical(first, other));
        Assert.False(TensorEquality.Identical(first, images));
        Assert.True(first.min().item<float>() >= 0 && first.max().item<float>() <= 1);
    }

    [Fact]
    public void NoOperationsLeaveTheImagesUnchanged()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.rand(3, 3, 8, 8, generator: new torch.Generator(5));

        var result = new RandAugment(opProbability: 0).Apply(images, new torch.Generator(6));

        Assert.True(TensorEquality.Identical(result, images));
    }

    [Theory]
    [InlineData(RandAugmentOp.Rotate, false, 27.0)]
    [InlineData(RandAugmentOp.Rotate, true, -27.0)]
    [InlineData(RandAugmentOp.PosterizeIncreasing, false, 1.0)]
    [InlineData(RandAugmentOp.SolarizeIncreasing, false, 26.0)]
    [InlineData(RandAugmentOp.SolarizeAdd, false, 99.0)]
    [InlineData(RandAugmentOp.ContrastIncreasing, false, 1.81)]
    [InlineData(RandAugmentOp.SharpnessIncreasing, true, 0.19)]
    [InlineData(RandAugmentOp.ShearY, true, -0.27)]
    [InlineData(RandAugmentOp.TranslateXRel, false, 0.405)]
    [InlineData(RandAugmentOp.Equalize, true, 0.0)]
    public void MagnitudeNineGivesTimmArguments(RandAugmentOp op, bool negate, double expected)
    {
        Assert.Equal(expected, RandAugment.Argument(op, 9, negate), 12);
    }

    [Fact]
    public void InvertAndBrightnessAreElementwise()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.rand(3, 5, 5, generator: new torch.Generator(7));

        Assert.True(Apply(image, RandAugmentOp.Invert, 0).allclose(1 - image));
        Assert.True(Apply(image, RandAugmentOp.BrightnessIncreasing, 0.5).allclose(image * 0.5));
    }

    [Fact]
    public void TranslateByAWholeNumberOfPixelsShiftsExactly()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.rand(1, 4, 8, generator: new torch.Generator(8));

        // 0.25 of 8 columns: output column x reads input column x + 2; the last two come from outside.
        var shifted = Apply(image, RandAugmentOp.TranslateXRel, 0.25, fill: 0.7f);

        Assert.True(shifted[.., .., ..6].allclose(image[.., .., 2..], rtol: 0, atol: 1e-6));
        Assert.True(shifted[.., .., 6..].allclose(torch.full(1, 4, 2, 0.7f)));
    }

    [Fact]
    public void RotatingAQuarterTurnIsCounterClockwise()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.rand(2, 6, 6, generator: new torch.Generator(9));

        var rotated = Apply(image, RandAugmentOp.Rotate, 90);

        Assert.True(rotated.allclose(image.rot90(1, (1, 2)), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void ShearXMovesRowsByTheirDistanceFromTheTop()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.ones(1, 4, 4);

        // Output (x + ½, y + ½) reads x + ½ + 0.5·(y + ½): outside from x ≥ 3.25 − y/2.
        var sheared = Apply(image, RandAugmentOp.ShearX, 0.5, fill: 0);

        var expected = torch.tensor(new float[,] { { 1, 1, 1, 1 }, { 1, 1, 1, 0 }, { 1, 1, 1, 0 }, { 1, 1, 0, 0 } }).unsqueeze(0);
        Assert.True(sheared.allclose(expected));
    }

    [Fact]
    public void SolarizeAndPosterizeActOnEightBitLevels()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.tensor(new float[] { 0, 100, 127, 128, 200, 255 }).div_(255).view(1, 1, 6);

        var solarized = Apply(image, RandAugmentOp.SolarizeIncreasing, 128);
        var posterized = Apply(image, RandAugmentOp.PosterizeIncreasing, 1);
        var added = Apply(image, RandAugmentOp.SolarizeAdd, 99);

        Assert.True(solarized.allclose(torch.tensor(new float[] { 0, 100, 127, 127, 55, 0 }).div_(255).view(1, 1, 6), atol: 1e-6));
        Assert.True(posterized.allclose(torch.tensor(new float[] { 0, 0, 0, 128, 128, 128 }).div_(255).view(1, 1, 6), atol: 1e-6));
        Assert.True(added.allclose(torch.tensor(new float[] { 99, 199, 226, 128, 200, 255 }).div_(255).view(1, 1, 6), atol: 1e-6));
    }

    [Fact]
    public void AutoContrastStretchesEachChannel()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.tensor(new float[] { 0.2f, 0.4f, 0.6f, 0.5f, 0.5f, 0.5f }).view(2, 1, 3);

        var stretched = Apply(image, RandAugmentOp.AutoContrast, 0);

        Assert.True(stretched.allclose(torch.tensor(new float[] { 0, 0.5f, 1, 0.5f, 0.5f, 0.5f }).view(2, 1, 3), atol: 1e-6));
    }

    [Fact]
    public void EqualizeFollowsPilsHistogramLookup()
    {
        using var scope = torch.NewDisposeScope();
        // 256 pixels at level 10, 256 at 20, 512 at 30: step = (1024 − 512) / 255 = 2, lookup (1 + pixels below) / 2.
        var levels = torch.cat([torch.full(256, 10f), torch.full(256, 20f), torch.full(512, 30f)]);
        var image = (levels / 255).view(1, 32, 32);

        var equalized = Apply(image, RandAugmentOp.Equalize, 0);

        var expected = torch.cat([torch.zeros(256), torch.full(256, 128f / 255), torch.ones(512)]).view(1, 32, 32);
        Assert.True(equalized.allclose(expected, atol: 1e-6));
    }

    [Fact]
    public void SharpnessBlendsWithTheSmoothedInterior()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.zeros(1, 3, 3);
        image[0, 1, 1] = torch.tensor(1f);

        var blurred = Apply(image, RandAugmentOp.SharpnessIncreasing, 0.5);

        // Smoothed centre 5/13, borders kept: 0.5·1 + 0.5·5/13 = 9/13.
        var expected = torch.zeros(1, 3, 3);
        expected[0, 1, 1] = torch.tensor(9f / 13);
        Assert.True(blurred.allclose(expected, atol: 1e-6));
    }

    [Fact]
    public void ColorAndContrastBlendWithGreyLevels()
    {
        using var scope = torch.NewDisposeScope();
        var gray = torch.rand(1, 4, 4, generator: new torch.Generator(10));
        var colour = torch.tensor(new float[] { 1, 0, 0.5f }).view(3, 1, 1).expand(3, 2, 2).contiguous();

        Assert.True(Apply(gray, RandAugmentOp.ColorIncreasing, 0.3).allclose(gray));
        Assert.True(Apply(colour, RandAugmentOp.ColorIncreasing, 0).allclose(torch.full(3, 2, 2, 0.299f + 0.057f), atol: 1e-6));
        var mean = gray.mean().item<float>();
        Assert.True(Apply(gray, RandAugmentOp.ContrastIncreasing, 0.5).allclose(mean + 0.5 * (gray - mean), atol: 1e-6));
    }
}
