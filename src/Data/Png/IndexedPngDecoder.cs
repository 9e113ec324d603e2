using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Png;

/// <summary>
/// Reads palette PNGs (colour type 3) and grayscale PNGs (colour type 0), bit depths 1, 2, 4 and 8, non-interlaced,
/// returning the stored indices as they are. SkiaSharp would expand a palette into colours, losing the class ids.
/// </summary>
public static class IndexedPngDecoder
{
    /// <param name="limits">The largest map decoded (pixels from IHDR, before inflating); <see cref="ImageLimits.Default"/> when null.</param>
    public static IndexedPng Decode(byte[] png, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(png);
        limits ??= ImageLimits.Default;
        if (png.Length < PngFormat.Signature.Length || !png.AsSpan(0, PngFormat.Signature.Length).SequenceEqual(PngFormat.Signature))
            throw new CorruptImageException("not a PNG file (bad signature)");

        Header? header = null;
        ColorPalette? palette = null;
        using var compressed = new MemoryStream();
        var ended = false;
        var offset = PngFormat.Signature.Length;
        while (!ended)
        {
            if (png.Length - offset < 12)
                throw new CorruptImageException("truncated PNG: missing IEND chunk", ImageProblem.Truncated);
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            if (length > (uint)(png.Length - offset - 12))
                throw new CorruptImageException("truncated PNG: chunk runs past the end of the file", ImageProblem.Truncated);
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, (int)length);
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + (int)length));
            if (Crc32.Compute(png.AsSpan(offset + 4, 4 + (int)length)) != storedCrc)
                throw new CorruptImageException($"PNG chunk {type} has a wrong CRC");
            offset += 12 + (int)length;

            if (header is null && type != "IHDR")
                throw new CorruptImageException("PNG does not start with an IHDR chunk");
            switch (type)
            {
                case "IHDR":
                    // The pixel limit first: it tells a bomb from a merely broken size.
                    if (data.Length == 13)
                        ImageCodec.CheckSize(BinaryPrimitives.ReadUInt32BigEndian(data), BinaryPrimitives.ReadUInt32BigEndian(data[4..]), png.Length, limits);
                    header = Header.Parse(data);
                    break;
                case "PLTE":
                    palette = ParsePalette(data);
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
                default:
                    // Upper-case first letter marks a critical chunk a decoder must understand.
                    if (char.IsUpper(type[0]))
                        throw new CorruptImageException($"unknown critical PNG chunk {type}");
                    break;
            }
        }

        var h = header!;
        if (h.ColorType == PngFormat.PaletteColorType && palette is null)
            throw new CorruptImageException("palette PNG without a PLTE chunk");
        var indices = Unpack(h, Inflate(compressed, h));
        if (h.ColorType == PngFormat.PaletteColorType)
            CheckIndices(indices, palette!);
        return new IndexedPng(new LabelMap(h.Width, h.Height, indices), h.ColorType == PngFormat.PaletteColorType ? palette : null);
    }

    private static byte[] Inflate(MemoryStream compressed, Header header)
    {
        var expected = new byte[(long)header.Height * (1 + header.Stride)];
        compressed.Position = 0;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            var read = zlib.ReadAtLeast(expected, expected.Length, throwOnEndOfStream: false);
            if (read < expected.Length)
                throw new CorruptImageException($"truncated PNG image data ({read} of {expected.Length} bytes)", ImageProblem.Truncated);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptImageException($"PNG image data is not valid zlib: {e.Message}", e);
        }
        return expected;
    }

    private static byte[] Unpack(Header header, byte[] filtered)
    {
        var stride = header.Stride;
        var previous = new byte[stride];
        var row = new byte[stride];
        var indices = new byte[header.Width * header.Height];
        var samplesPerByte = 8 / header.BitDepth;
        var mask = (1 << header.BitDepth) - 1;
        for (var y = 0; y < header.Height; y++)
        {
            var start = y * (stride + 1);
            var filter = filtered[start];
            if (filter > (byte)PngRowFilter.Paeth)
                throw new CorruptImageException($"PNG row {y} has unknown filter type {filter}");
            filtered.AsSpan(start + 1, stride).CopyTo(row);
            PngRowFilters.Unfilter((PngRowFilter)filter, row, previous, bytesPerPixel: 1);
            for (var x = 0; x < header.Width; x++)
            {
                var shift = 8 - header.BitDepth * (x % samplesPerByte + 1);
                indices[y * header.Width + x] = (byte)((row[x / samplesPerByte] >> shift) & mask);
            }
            (previous, row) = (row, previous);
        }
        return indices;
    }

    private static ColorPalette ParsePalette(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || data.Length % 3 != 0 || data.Length > 768)
            throw new CorruptImageException($"PLTE chunk of {data.Length} bytes is not 1 to 256 RGB entries");
        var entries = new (byte, byte, byte)[data.Length / 3];
        for (var i = 0; i < entries.Length; i++)
            entries[i] = (data[3 * i], data[3 * i + 1], data[3 * i + 2]);
        return new ColorPalette(entries);
    }

    private static void CheckIndices(byte[] indices, ColorPalette palette)
    {
        var largest = indices.Max();
        if (largest >= palette.Count)
            throw new CorruptImageException($"palette index {largest} is beyond the {palette.Count}-entry palette");
    }

    private sealed record Header(int Width, int Height, int BitDepth, byte ColorType)
    {
        public int Stride => (Width * BitDepth + 7) / 8;

        public static Header Parse(ReadOnlySpan<byte> data)
        {
            if (data.Length != 13)
                throw new CorruptImageException($"IHDR chunk has {data.Length} bytes instead of 13");
            var width = BinaryPrimitives.ReadUInt32BigEndian(data);
            var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue || (long)width * height > int.MaxValue)
                throw new CorruptImageException($"invalid PNG size {width}x{height}");
            var bitDepth = data[8];
            var colorType = data[9];
            if (data[10] != 0 || data[11] != 0)
                throw new CorruptImageException("unknown PNG compression or filter method");
            if (colorType is not (PngFormat.GrayscaleColorType or PngFormat.PaletteColorType))
                throw new NotSupportedException($"PNG colour type {colorType} holds colours, not indices; decode it with ImageCodec");
            if (bitDepth is not (1 or 2 or 4 or 8))
                throw new NotSupportedException($"PNG bit depth {bitDepth} is not supported for index maps (1, 2, 4 or 8)");
            if (data[12] != 0)
                throw new NotSupportedException("interlaced PNGs are not supported for index maps");
            return new Header((int)width, (int)height, bitDepth, colorType);
        }
    }
}
