using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>Positions of visible and masked patches of a boolean mask (B, N) with a fixed masked count per row.</summary>
public static class MaskIndices
{
    /// <summary>Number of masked patches per row; throws when rows differ (batched gathers need a fixed count).</summary>
    public static long MaskedCount(Tensor mask)
    {
        using var counts = mask.to(ScalarType.Int64).sum(1);
        long min = counts.min().item<long>();
        long max = counts.max().item<long>();
        if (min != max)
        {
            throw new ArgumentException($"every row of a mask must mask the same number of patches (got {min} to {max})");
        }
        return min;
    }

    /// <summary>Visible positions (B, N_v), ascending.</summary>
    public static Tensor Visible(Tensor mask)
    {
        long masked = MaskedCount(mask);
        using var order = SortedPositions(mask);
        return order[.., ..(int)(mask.shape[1] - masked)].clone();
    }

    /// <summary>Masked positions (B, N_m), ascending.</summary>
    public static Tensor Masked(Tensor mask)
    {
        long masked = MaskedCount(mask);
        using var order = SortedPositions(mask);
        return order[.., (int)(mask.shape[1] - masked)..].clone();
    }

    // A stable sort of the 0/1 mask puts visible positions first and masked ones last, each ascending.
    private static Tensor SortedPositions(Tensor mask)
    {
        using var asInt = mask.to(ScalarType.Int32);
        var (values, indices) = asInt.sort(1, descending: false, stable: true);
        values.Dispose();
        return indices;
    }
}
