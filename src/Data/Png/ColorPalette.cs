namespace SemanticMIM.Data.Png;

/// <summary>Up to 256 RGB entries, as stored in a PNG PLTE chunk.</summary>
public sealed class ColorPalette
{
    public ColorPalette(IReadOnlyList<(byte R, byte G, byte B)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(entries), entries.Count, "A palette holds 1 to 256 entries.");
        Entries = entries.ToArray();
    }

    public IReadOnlyList<(byte R, byte G, byte B)> Entries { get; }

    public int Count => Entries.Count;

    /// <summary>
    /// PascalVOC's colour map: the bits of the index are spread over the high bits of R, G and B
    /// (bit 0 → R, bit 1 → G, bit 2 → B, next three bits one position lower, and so on). Index 255 is (224, 224, 192).
    /// </summary>
    public static ColorPalette PascalVoc()
    {
        var entries = new (byte, byte, byte)[256];
        for (var index = 0; index < 256; index++)
        {
            int r = 0, g = 0, b = 0, bits = index;
            for (var shift = 7; shift >= 0 && bits != 0; shift--, bits >>= 3)
            {
                r |= (bits & 1) << shift;
                g |= ((bits >> 1) & 1) << shift;
                b |= ((bits >> 2) & 1) << shift;
            }
            entries[index] = ((byte)r, (byte)g, (byte)b);
        }
        return new ColorPalette(entries);
    }

    /// <summary>Entry i is (i, i, i).</summary>
    public static ColorPalette Grayscale() =>
        new(Enumerable.Range(0, 256).Select(i => ((byte)i, (byte)i, (byte)i)).ToArray());
}
