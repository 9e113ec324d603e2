using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>Resizing of absolute position embeddings for another input size (spec (f): VOC at 448², ADE20K at 640²).</summary>
public static class PositionEmbedding
{
    /// <summary>
    /// (1, P + g², D) → (1, P + g'², D): the P proxy rows are kept as they are, the patch rows are resized as a
    /// (D, g, g) image with bicubic interpolation, align_corners false, as the official downstream code does.
    /// Resizing to the same grid returns an exact copy.
    /// </summary>
    public static Tensor Resize(Tensor posEmbed, int proxies, int newGrid)
    {
        if (posEmbed.dim() != 3 || posEmbed.shape[0] != 1 || posEmbed.shape[1] <= proxies)
        {
            throw new ArgumentException($"expected (1, P + N, D) position embeddings with P = {proxies}, got [{string.Join(", ", posEmbed.shape)}]", nameof(posEmbed));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(newGrid, 1);
        long patches = posEmbed.shape[1] - proxies;
        int grid = (int)Math.Round(Math.Sqrt(patches));
        if ((long)grid * grid != patches)
        {
            throw new ArgumentException($"{patches} patch rows do not form a square grid", nameof(posEmbed));
        }
        using var scope = NewDisposeScope();
        long dim = posEmbed.shape[2];
        var patchRows = posEmbed[.., proxies..];
        Tensor resized;
        if (newGrid == grid)
        {
            resized = patchRows.clone();
        }
        else
        {
            var asImage = patchRows.reshape(1, grid, grid, dim).permute(0, 3, 1, 2).to(ScalarType.Float32);
            resized = nn.functional.interpolate(asImage, [newGrid, newGrid], mode: InterpolationMode.Bicubic, align_corners: false)
                .permute(0, 2, 3, 1).reshape(1, (long)newGrid * newGrid, dim).to(posEmbed.dtype);
        }
        return cat([posEmbed[.., ..proxies], resized], 1).MoveToOuterDisposeScope();
    }
}
