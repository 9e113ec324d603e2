using SemanticMIM.Evaluation.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class SegmentationAugmentationTests
{
    [Fact]
    public void ReduceZeroLabelIgnoresOtherAndShiftsTheClassesDown()
    {
        using var scope = torch.NewDisposeScope();
        var raw = torch.tensor(new byte[] { 0, 1, 2, 150, 255, 7 }).reshape(2, 3);

        var reduced = SegmentationAugmentation.ReduceZeroLabel(raw);

        Assert.Equal(ScalarType.Int64, reduced.dtype);
        Assert.Equal([255L, 0, 1, 149, 255, 6], reduced.flatten().data<long>().ToArray());
    }

    [Fact]
    public void PreparedLabelsIgnoreEverythingOutsideTheClasses()
    {
        using var scope = torch.NewDisposeScope();
        var raw = torch.tensor(new long[] { 0, 1, 2, 3, 4, 255 });

        Assert.Equal([0L, 1, 2, 255, 255, 255], SegmentationAugmentation.PrepareLabels(raw, 3, false).data<long>().ToArray());
        Assert.Equal([255L, 0, 1, 2, 255, 255], SegmentationAugmentation.PrepareLabels(raw, 3, true).data<long>().ToArray());
    }

    [Theory]
    [InlineData(512, 683, 2560, 640, 640, 854)]
    [InlineData(48, 48, 128, 32, 32, 32)]
    [InlineData(100, 1000, 2560, 640, 256, 2560)]
    [InlineData(300, 200, 80, 20, 30, 20)]
    public void KeepRatioSizeFitsBothEdgesAndRoundsHalfUp(int height, int width, int longEdge, int shortEdge, int expectedHeight, int expectedWidth) =>
        Assert.Equal((expectedHeight, expectedWidth), SegmentationAugmentation.KeepRatioSize(height, width, longEdge, shortEdge));

    [Fact]
    public void RandomScaleStaysWithinHalfToTwiceTheCropScale()
    {
        var random = new Random(3);
        var recipe = UperNetRecipe.Paper;
        for (int i = 0; i < 200; i++)
        {
            var (longEdge, shortEdge) = SegmentationAugmentation.RandomScale(recipe, random);
            Assert.InRange(shortEdge, 320, 1280);
            Assert.InRange(longEdge, 4 * shortEdge, 4 * shortEdge + 3);
        }
    }

    [Fact]
    public void BalanceTestNeedsTwoClassesAndNoneAtTheMaximumShare()
    {
        using var scope = torch.NewDisposeScope();
        static Tensor Map(params long[] labels) => torch.tensor(labels);

        Assert.False(SegmentationAugmentation.IsBalanced(Map(1, 1, 1, 1), 0.75));
        Assert.False(SegmentationAugmentation.IsBalanced(Map(1, 1, 1, 2), 0.75));
        Assert.True(SegmentationAugmentation.IsBalanced(Map(1, 1, 2, 2), 0.75));
        Assert.True(SegmentationAugmentation.IsBalanced(Map(1, 1, 1, 2, 2), 0.75));
        // Ignored pixels count for neither the classes nor the total.
        Assert.True(SegmentationAugmentation.IsBalanced(Map(255, 255, 255, 255, 0, 3), 0.75));
        Assert.False(SegmentationAugmentation.IsBalanced(Map(255, 255), 0.75));
    }

    [Fact]
    public void CatMaxRatioRejectsCropsDominatedByOneClass()
    {
        using var scope = torch.NewDisposeScope();
        // 8 × 16: class 0 in columns 0..11, class 1 in 12..15. Crops of 8 at left 0..8: only left 7 and 8 have
        // class 0 below 75 % (5/8 and 4/8); 0..4 hold one class, 5 and 6 have 7/8 and 6/8.
        var labels = torch.zeros(8, 16, ScalarType.Int64);
        labels[.., 12..] = 1;
        int balancedBalanced = 0;
        int balancedUnconstrained = 0;
        const int trials = 300;

        for (int seed = 0; seed < trials; seed++)
        {
            var (top, left) = SegmentationAugmentation.ChooseCrop(labels, 8, 0.75, new Random(seed));
            Assert.Equal(0, top);
            balancedBalanced += left >= 7 ? 1 : 0;
            var (_, freeLeft) = SegmentationAugmentation.ChooseCrop(labels, 8, 1.0, new Random(seed));
            balancedUnconstrained += freeLeft >= 7 ? 1 : 0;
        }

        // Uniform crops are balanced 2/9 of the time; with 11 draws all failing only (7/9)^11 ≈ 6 % of the time.
        Assert.InRange(balancedUnconstrained, trials / 9, trials / 3);
        Assert.InRange(balancedBalanced, trials * 88 / 100, trials);
    }

    [Fact]
    public void ChosenCropsFitAndAreNeverRedrawnWhenBalanced()
    {
        using var scope = torch.NewDisposeScope();
        // Every crop of a checkerboard is balanced, so the first draw is kept: the same as an unconstrained draw.
        var labels = (torch.arange(20).unsqueeze(1) + torch.arange(30).unsqueeze(0)).remainder(2);
        for (int seed = 0; seed < 20; seed++)
        {
            var chosen = SegmentationAugmentation.ChooseCrop(labels, 8, 0.75, new Random(seed));
            var unconstrained = SegmentationAugmentation.ChooseCrop(labels, 8, 1.0, new Random(seed));
            Assert.Equal(unconstrained, chosen);
            Assert.InRange(chosen.Top, 0, 12);
            Assert.InRange(chosen.Left, 0, 22);
        }
        Assert.Equal((0, 0), SegmentationAugmentation.ChooseCrop(labels[..5, ..6], 8, 0.75, new Random(0)));
    }

    [Fact]
    public void NormalisesPerChannelAndPadsImagesWithZeroAndLabelsWith255()
    {
        using var scope = torch.NewDisposeScope();
        var image = torch.full([2, 3, 2], 0.5f);
        var labels = torch.ones(3, 2, ScalarType.Int64);

        var normalised = ImageNormalization.Normalize(image, [0.5, 0.25], [1.0, 0.5]);
        var (padded, paddedLabels) = SegmentationAugmentation.PadToCrop(normalised, labels, 4);

        Assert.Equal([0f, 0.5f], normalised.amax([1, 2]).data<float>().ToArray());
        Assert.Equal([2L, 4, 4], padded.shape);
        Assert.Equal(0.5f, padded[1, 2, 1].item<float>());
        Assert.Equal(0f, padded[1, 3, 3].item<float>());
        Assert.Equal(new long[] { 1, 1, 255, 255 }, paddedLabels[2].data<long>().ToArray());
        Assert.Equal(new long[] { 255, 255, 255, 255 }, paddedLabels[3].data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => ImageNormalization.Normalize(image, [0.5], [1.0]));
    }

    [Fact]
    public void TrainTransformGivesCropSizedSamplesWithLabelsThatStayLabels()
    {
        using var scope = torch.NewDisposeScope();
        var recipe = SegmentationEncoders.Recipe();
        var transform = new UperNetTrainTransform(recipe, [0, 0, 0], [1, 1, 1]);
        var image = torch.rand(3, 20, 44, generator: new torch.Generator(1));
        var labels = torch.zeros(20, 44, ScalarType.Int64);
        labels[.., 22..] = 2;
        var random = new Random(4);

        for (int i = 0; i < 20; i++)
        {
            var (sample, sampleLabels) = transform.Apply(image, labels, random);
            Assert.Equal([3L, 32, 32], sample.shape);
            Assert.Equal([32L, 32], sampleLabels.shape);
            var values = sampleLabels.unique().Item1.data<long>().ToArray();
            Assert.Subset(new HashSet<long> { 0, 2, 255 }, values.ToHashSet());
            // Padding (label 255) is exactly where the image is 0 on every channel after a [0, 1] distortion.
            Assert.True(sample.abs().amax(0).eq(0).logical_or(sampleLabels.ne(255)).all().item<bool>());
        }
    }
}
