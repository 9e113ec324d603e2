namespace SemanticMIM.Data.Png;

/// <summary>Applies and reverses the PNG row filters for a given number of bytes per complete pixel.</summary>
internal static class PngRowFilters
{
    public static void Unfilter(PngRowFilter filter, Span<byte> row, ReadOnlySpan<byte> previous, int bytesPerPixel)
    {
        for (var i = 0; i < row.Length; i++)
        {
            int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
            int up = previous[i];
            int upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
            row[i] = (byte)(row[i] + Predict(filter, left, up, upLeft));
        }
    }

    public static void Filter(PngRowFilter filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int bytesPerPixel, Span<byte> output)
    {
        for (var i = 0; i < row.Length; i++)
        {
            int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
            int up = previous[i];
            int upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
            output[i] = (byte)(row[i] - Predict(filter, left, up, upLeft));
        }
    }

    private static int Predict(PngRowFilter filter, int left, int up, int upLeft) => filter switch
    {
        PngRowFilter.None => 0,
        PngRowFilter.Sub => left,
        PngRowFilter.Up => up,
        PngRowFilter.Average => (left + up) >> 1,
        PngRowFilter.Paeth => Paeth(left, up, upLeft),
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown PNG row filter."),
    };

    private static int Paeth(int left, int up, int upLeft)
    {
        var estimate = left + up - upLeft;
        var toLeft = Math.Abs(estimate - left);
        var toUp = Math.Abs(estimate - up);
        var toUpLeft = Math.Abs(estimate - upLeft);
        if (toLeft <= toUp && toLeft <= toUpLeft)
            return left;
        return toUp <= toUpLeft ? up : upLeft;
    }
}
