using TorchSharp;

namespace SemanticMIM.Evaluation.Tests;

public class ConfusionMatrixTests
{
    private static SegmentationMetrics Score(int numClasses, long[] predicted, long[] truth)
    {
        var confusion = new ConfusionMatrix(numClasses);
        using var p = torch.tensor(predicted);
        using var t = torch.tensor(truth);
        confusion.Accumulate(p, t);
        return confusion.Metrics();
    }

    [Fact]
    public void PerfectPredictionScoresOne()
    {
        long[] labels = [0, 1, 2, 2, 1, 0, 0];
        var metrics = Score(3, labels, labels);
        Assert.Equal(1.0, metrics.MeanIoU);
        Assert.Equal(1.0, metrics.PixelAccuracy);
        Assert.All(metrics.ClassIoU, iou => Assert.Equal(1.0, iou));
    }

    [Fact]
    public void TwoClassCaseMatchesHandComputation()
    {
        // Rows truth, columns prediction: [[2, 2], [1, 1]].
        // Class 0: TP 2, FN 2, FP 1 → 2/5. Class 1: TP 1, FP 2, FN 1 → 1/4. Pixel accuracy 3/6.
        var metrics = Score(2, predicted: [0, 0, 1, 1, 1, 0], truth: [0, 0, 0, 0, 1, 1]);
        Assert.Equal(0.4, metrics.ClassIoU[0]!.Value, 12);
        Assert.Equal(0.25, metrics.ClassIoU[1]!.Value, 12);
        Assert.Equal(0.325, metrics.MeanIoU, 12);
        Assert.Equal(0.5, metrics.PixelAccuracy, 12);
    }

    [Fact]
    public void IgnoredLabelsDoNotCount()
    {
        var metrics = Score(2, predicted: [0, 0, 1, 1, 1, 0, 1, 0, 1], truth: [0, 0, 0, 0, 1, 1, 255, 255, -1]);
        Assert.Equal(0.325, metrics.MeanIoU, 12);
        Assert.Equal(0.5, metrics.PixelAccuracy, 12);
    }

    [Fact]
    public void ClassAbsentEverywhereIsExcludedFromTheMean()
    {
        var metrics = Score(3, predicted: [0, 0, 1, 1, 1, 0], truth: [0, 0, 0, 0, 1, 1]);
        Assert.Null(metrics.ClassIoU[2]);
        Assert.Equal(0.325, metrics.MeanIoU, 12);
    }

    [Fact]
    public void ClassOnlyPredictedCountsAsZero()
    {
        // Class 2 is never true but predicted once: IoU 0, and it enters the mean.
        var metrics = Score(3, predicted: [0, 1, 2], truth: [0, 1, 1]);
        Assert.Equal([1.0, 0.5, 0.0], metrics.ClassIoU.Select(iou => iou!.Value));
        Assert.Equal(0.5, metrics.MeanIoU, 12);
    }

    [Fact]
    public void AccumulatesAcrossBatchesAndShapes()
    {
        var confusion = new ConfusionMatrix(2);
        using (var p = torch.tensor(new long[] { 0, 0, 1, 1 }).reshape(1, 2, 2))
        using (var t = torch.tensor(new byte[] { 0, 0, 0, 0 }).reshape(1, 2, 2))
        {
            confusion.Accumulate(p, t);
        }
        using (var p = torch.tensor(new long[] { 1, 0 }))
        using (var t = torch.tensor(new long[] { 1, 1 }))
        {
            confusion.Accumulate(p, t);
        }
        Assert.Equal(2, confusion[0, 0]);
        Assert.Equal(2, confusion[0, 1]);
        Assert.Equal(1, confusion[1, 0]);
        Assert.Equal(1, confusion[1, 1]);
        Assert.Equal(0.325, confusion.Metrics().MeanIoU, 12);
    }

    [Fact]
    public void RejectsPredictionsOutsideTheClasses()
    {
        var confusion = new ConfusionMatrix(2);
        using var p = torch.tensor(new long[] { 0, 2 });
        using var t = torch.tensor(new long[] { 0, 1 });
        Assert.Throws<ArgumentException>(() => confusion.Accumulate(p, t));
    }

    [Fact]
    public void NothingCountedHasNoScore()
    {
        var confusion = new ConfusionMatrix(2);
        using var p = torch.tensor(new long[] { 0 });
        using var t = torch.tensor(new long[] { 255 });
        confusion.Accumulate(p, t);
        Assert.Throws<InvalidOperationException>(() => confusion.Metrics());
    }
}
