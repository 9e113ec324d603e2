using static TorchSharp.torch;

namespace SemanticMIM.Evaluation;

/// <summary>Consecutive slices of the first dimension; each slice is a view the consumer may dispose.</summary>
public static class ImageBatches
{
    public static IEnumerable<Tensor> Of(Tensor tensor, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long count = tensor.shape[0];
        for (long start = 0; start < count; start += batchSize)
        {
            yield return tensor.narrow(0, start, Math.Min(batchSize, count - start));
        }
    }
}
