using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>
/// A K×K pixel confusion matrix, rows = true class, columns = predicted class (spec (f), VOC evaluation).
/// Pixels whose true label lies outside [0, K), such as 255, are ignored.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    public ConfusionMatrix(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        NumClasses = numClasses;
        _counts = new long[numClasses * numClasses];
    }

    public int NumClasses { get; }

    /// <summary>Pixels of true class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * NumClasses + predicted];

    /// <summary>Adds label maps of any (equal) shape and integer type; predictions of counted pixels must lie in [0, K).</summary>
    public void Accumulate(Tensor predicted, Tensor truth)
    {
        if (!predicted.shape.SequenceEqual(truth.shape))
        {
            throw new ArgumentException(
                $"prediction [{string.Join(", ", predicted.shape)}] and truth [{string.Join(", ", truth.shape)}] differ in shape");
        }
        using var scope = torch.NewDisposeScope();
        var truthFlat = truth.flatten().to(ScalarType.Int64).cpu();
        var predictedFlat = predicted.flatten().to(ScalarType.Int64).cpu();
        var counted = truthFlat.ge(0).logical_and(truthFlat.lt(NumClasses));
        var truthCounted = truthFlat.masked_select(counted);
        var predictedCounted = predictedFlat.masked_select(counted);
        if (predictedCounted.numel() == 0)
        {
            return;
        }
        if (predictedCounted.min().item<long>() < 0 || predictedCounted.max().item<long>() >= NumClasses)
        {
            throw new ArgumentException($"predicted labels must lie in [0, {NumClasses})", nameof(predicted));
        }
        var cells = torch.bincount(truthCounted * NumClasses + predictedCounted, minlength: _counts.Length);
        var added = cells.data<long>().ToArray();
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += added[i];
        }
    }

    /// <summary>Scores of everything accumulated so far; throws when no pixel was counted.</summary>
    public SegmentationMetrics Metrics()
    {
        long total = _counts.Sum();
        if (total == 0)
        {
            throw new InvalidOperationException("no labelled pixel has been accumulated");
        }
        var classIoU = new double?[NumClasses];
        long correct = 0;
        for (int k = 0; k < NumClasses; k++)
        {
            long truePositives = this[k, k];
            long truthTotal = Enumerable.Range(0, NumClasses).Sum(j => this[k, j]);
            long predictedTotal = Enumerable.Range(0, NumClasses).Sum(i => this[i, k]);
            long union = truthTotal + predictedTotal - truePositives;
            classIoU[k] = union == 0 ? null : (double)truePositives / union;
            correct += truePositives;
        }
        double meanIoU = classIoU.Where(iou => iou.HasValue).Average(iou => iou!.Value);
        return new SegmentationMetrics(meanIoU, (double)correct / total, classIoU);
    }
}
