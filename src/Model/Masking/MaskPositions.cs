using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// Visible and masked positions of a boolean mask (B, N), each (B, ·) in ascending order, found once per batch
/// and shared by the encoder's gathers and the target selection. Every row must mask the same number of patches.
/// </summary>
public sealed class MaskPositions : IDisposable
{
    private MaskPositions(Tensor visible, Tensor masked)
    {
        Visible = visible;
        Masked = masked;
    }

    /// <summary>Visible positions (B, N_v), ascending.</summary>
    public Tensor Visible { get; }

    /// <summary>Masked positions (B, N_m), ascending.</summary>
    public Tensor Masked { get; }

    public long MaskedCount => Masked.shape[1];

    public static MaskPositions Of(Tensor mask)
    {
        using var counts = mask.to(ScalarType.Int64).sum(1);
        long min = counts.min().item<long>();
        long max = counts.max().item<long>();
        if (min != max)
        {
            throw new ArgumentException($"every row of a mask must mask the same number of patches (got {min} to {max})");
        }
        // A stable sort of the 0/1 mask puts visible positions first and masked ones last, each ascending.
        using var asInt = mask.to(ScalarType.Int32);
        var (values, order) = asInt.sort(1, descending: false, stable: true);
        values.Dispose();
        using (order)
        {
            long visible = mask.shape[1] - min;
            return new MaskPositions(order[.., ..(int)visible].clone(), order[.., (int)visible..].clone());
        }
    }

    /// <summary>Rows of <paramref name="tokens"/> (B, N) or (B, N, F) at the visible positions.</summary>
    public Tensor GatherVisible(Tensor tokens) => Gather(tokens, Visible);

    /// <summary>Rows of <paramref name="tokens"/> (B, N) or (B, N, F) at the masked positions.</summary>
    public Tensor GatherMasked(Tensor tokens) => Gather(tokens, Masked);

    public void Dispose()
    {
        Visible.Dispose();
        Masked.Dispose();
    }

    private static Tensor Gather(Tensor tokens, Tensor indices)
    {
        if (tokens.dim() == 2)
        {
            return tokens.gather(1, indices);
        }
        using var expanded = indices.unsqueeze(-1).expand(-1, -1, tokens.shape[^1]);
        return tokens.gather(1, expanded);
    }
}
