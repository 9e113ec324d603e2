using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Png;

/// <summary>Writes 8-bit palette or 8-bit grayscale PNGs whose samples are exactly the given indices.</summary>
public static class IndexedPngEncoder
{
    /// <param name="filter">One filter for every row, or null to choose per row (smallest sum of absolute residuals, as libpng does).</param>
    public static byte[] EncodePalette(LabelMap indices, ColorPalette palette, PngRowFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(palette);
        var largest = indices.Labels.Max();
        if (largest >= palette.Count)
            throw new ArgumentException($"Index {largest} is beyond the {palette.Count}-entry palette.", nameof(palette));
        var plte = new byte[palette.Count * 3];
        for (var i = 0; i < palette.Count; i++)
            (plte[3 * i], plte[3 * i + 1], plte[3 * i + 2]) = palette.Entries[i];
        return Encode(indices, PngFormat.PaletteColorType, plte, filter);
    }

    public static byte[] EncodeGrayscale(LabelMap values, PngRowFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Encode(values, PngFormat.GrayscaleColorType, null, filter);
    }

    private static byte[] Encode(LabelMap map, byte colorType, byte[]? plte, PngRowFilter? filter)
    {
        using var output = new MemoryStream();
        output.Write(PngFormat.Signature);

        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)map.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)map.Height);
        ihdr[8] = 8;
        ihdr[9] = colorType;
        WriteChunk(output, "IHDR", ihdr);
        if (plte is not null)
            WriteChunk(output, "PLTE", plte);
        WriteChunk(output, "IDAT", Deflate(map, filter));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] Deflate(LabelMap map, PngRowFilter? filter)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var previous = new byte[map.Width];
            var candidate = new byte[map.Width];
            var best = new byte[map.Width];
            for (var y = 0; y < map.Height; y++)
            {
                var row = map.Labels.AsSpan(y * map.Width, map.Width);
                var chosen = filter ?? PngRowFilter.None;
                if (filter is { } fixedFilter)
                    PngRowFilters.Filter(fixedFilter, row, previous, 1, best);
                else
                {
                    var bestCost = long.MaxValue;
                    foreach (var option in Enum.GetValues<PngRowFilter>())
                    {
                        PngRowFilters.Filter(option, row, previous, 1, candidate);
                        var cost = Cost(candidate);
                        if (cost < bestCost)
                            (bestCost, chosen, best, candidate) = (cost, option, candidate, best);
                    }
                }
                zlib.WriteByte((byte)chosen);
                zlib.Write(best);
                row.CopyTo(previous);
            }
        }
        return compressed.ToArray();
    }

    private static long Cost(ReadOnlySpan<byte> residuals)
    {
        long sum = 0;
        foreach (var r in residuals)
            sum += Math.Abs((int)(sbyte)r);
        return sum;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, prefix[4..]);
        var crc = Crc32.Append(Crc32.Compute(prefix[4..]), data);
        Span<byte> suffix = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(suffix, crc);
        output.Write(prefix);
        output.Write(data);
        output.Write(suffix);
    }
}
