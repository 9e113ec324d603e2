using SemanticMIM.Evaluation.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Tests.Segmentation;

public class SlidingWindowTests
{
    [Theory]
    [InlineData(100, 64, 43, new[] { 0, 36 })]
    [InlineData(640, 640, 426, new[] { 0 })]
    [InlineData(854, 640, 426, new[] { 0, 214 })]
    [InlineData(1100, 640, 426, new[] { 0, 426, 460 })]
    [InlineData(20, 32, 21, new[] { 0 })]
    [InlineData(64, 32, 32, new[] { 0, 32 })]
    public void StartsMatchHandComputedCases(int size, int crop, int stride, int[] starts) =>
        Assert.Equal(starts, SlidingWindow.Starts(size, crop, stride));

    [Theory]
    [InlineData(100, 64, 43)]
    [InlineData(97, 32, 21)]
    [InlineData(33, 32, 1)]
    [InlineData(500, 64, 64)]
    [InlineData(7, 32, 21)]
    public void WindowsCoverEveryPixelInsideTheImageAndTheLastEndsAtTheBorder(int size, int crop, int stride)
    {
        var starts = SlidingWindow.Starts(size, crop, stride);
        int window = Math.Min(crop, size);

        var covered = new bool[size];
        foreach (int start in starts)
        {
            Assert.InRange(start, 0, size - window);
            Array.Fill(covered, true, start, window);
        }
        Assert.All(covered, Assert.True);
        Assert.Equal(0, starts[0]);
        Assert.Equal(size, starts[^1] + window);
        Assert.Equal(starts.Count, starts.Distinct().Count());
    }

    [Fact]
    public void PositionsPairEveryRowStartWithEveryColumnStart()
    {
        var positions = SlidingWindow.Positions(100, 20, 64, 43);

        Assert.Equal(
            [new WindowPosition(0, 0, 64, 20), new WindowPosition(36, 0, 64, 20)],
            positions);
    }

    [Fact]
    public void SlidingInferenceOfAPointwiseModelEqualsWholeImageInference()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var pointwise = nn.Conv2d(3, 4, 1);
        var images = torch.randn(2, 3, 100, 70);
        var windowSizes = new List<long[]>();

        var slid = SlidingWindow.Infer(images, 64, 43, window =>
        {
            windowSizes.Add(window.shape[2..]);
            return pointwise.forward(window);
        });

        Assert.True(slid.allclose(pointwise.forward(images), rtol: 0, atol: 1e-5));
        Assert.Equal(4, windowSizes.Count);
        Assert.All(windowSizes, size => Assert.Equal([64L, 64], size));
    }

    [Fact]
    public void OverlapsAreAveragedByTheirWindowCount()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(1, 1, 1, 100);
        var offsets = new Queue<float>([1f, 3f]);

        // The windows [0, 64) and [36, 100) output 1 and 3: the overlap [36, 64) averages to 2.
        var slid = SlidingWindow.Infer(images, 64, 43, window => torch.full(window.shape, offsets.Dequeue()));

        var expected = torch.cat([torch.full(36, 1f), torch.full(28, 2f), torch.full(36, 3f)]).reshape(1, 1, 1, 100);
        Assert.True(slid.allclose(expected, rtol: 0, atol: 0));
    }

    [Fact]
    public void RejectsAStrideThatWouldLeaveGaps() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SlidingWindow.Starts(100, 32, 33));
}
