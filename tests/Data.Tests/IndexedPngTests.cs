using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;

namespace SemanticMIM.Data.Tests;

public class IndexedPngTests
{
    private static LabelMap SegmentationLike(int width, int height, int seed)
    {
        var random = new Random(seed);
        var map = new LabelMap(width, height, new byte[width * height]);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                map[x, y] = (byte)((x / 5 + y / 7) % 21);
        for (var i = 0; i < 40; i++)
            map.Labels[random.Next(map.Labels.Length)] = LabelMap.Ignore;
        return map;
    }

    [Fact]
    public void Crc32_matches_the_standard_check_values()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
        Assert.Equal(Crc32.Compute("123456789"u8), Crc32.Append(Crc32.Compute("1234"u8), "56789"u8));
    }

    [Fact]
    public void Pascal_voc_palette_has_the_standard_colours()
    {
        var palette = ColorPalette.PascalVoc();

        Assert.Equal(((byte)0, (byte)0, (byte)0), palette.Entries[0]);
        Assert.Equal(((byte)128, (byte)0, (byte)0), palette.Entries[1]);
        Assert.Equal(((byte)0, (byte)128, (byte)0), palette.Entries[2]);
        Assert.Equal(((byte)192, (byte)128, (byte)128), palette.Entries[15]);
        Assert.Equal(((byte)224, (byte)224, (byte)192), palette.Entries[255]);
    }

    public static TheoryData<PngRowFilter?> Filters => [null, PngRowFilter.None, PngRowFilter.Sub, PngRowFilter.Up, PngRowFilter.Average, PngRowFilter.Paeth];

    [Theory]
    [MemberData(nameof(Filters))]
    public void Palette_png_round_trips_indices_with_every_row_filter(PngRowFilter? filter)
    {
        var map = SegmentationLike(45, 33, seed: 1);
        var palette = ColorPalette.PascalVoc();

        var png = IndexedPngEncoder.EncodePalette(map, palette, filter);
        var decoded = IndexedPngDecoder.Decode(png);

        Assert.Equal(map.Labels, decoded.Indices.Labels);
        Assert.Equal(palette.Entries, decoded.Palette!.Entries);
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public void An_independent_decoder_sees_the_palette_colours(PngRowFilter? filter)
    {
        var map = SegmentationLike(30, 20, seed: 2);
        var palette = ColorPalette.PascalVoc();

        var colours = ImageCodec.Decode(IndexedPngEncoder.EncodePalette(map, palette, filter));

        for (var i = 0; i < map.Labels.Length; i++)
        {
            var (r, g, b) = palette.Entries[map.Labels[i]];
            Assert.Equal([r, g, b], colours.Pixels[(3 * i)..(3 * i + 3)]);
        }
    }

    [Fact]
    public void Reads_grayscale_pngs_written_by_another_encoder()
    {
        // SkiaSharp (libpng) picks row filters adaptively, so noisy rows exercise several filter types.
        var gray = TestImages.Noise(50, 40, seed: 4, channels: 1);
        for (var i = 0; i < 800; i++)
            gray.Pixels[i] = (byte)(i % 50);

        var decoded = IndexedPngDecoder.Decode(ImageCodec.EncodePng(gray));

        Assert.Null(decoded.Palette);
        Assert.Equal(gray.Pixels, decoded.Indices.Labels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Reads_low_bit_depth_palette_pngs(int bitDepth)
    {
        const int width = 13, height = 3;
        var values = Enumerable.Range(0, width * height).Select(i => (byte)(i * 7 % (1 << bitDepth))).ToArray();

        var decoded = IndexedPngDecoder.Decode(HandMadePalettePng(width, height, bitDepth, values));

        Assert.Equal(values, decoded.Indices.Labels);
        Assert.Equal(1 << bitDepth, decoded.Palette!.Count);
    }

    [Fact]
    public void Low_bit_depth_fixture_is_a_valid_png()
    {
        var values = Enumerable.Range(0, 13 * 3).Select(i => (byte)(i % 4)).ToArray();

        var colours = ImageCodec.Decode(HandMadePalettePng(13, 3, 2, values));

        Assert.Equal(values.Select(v => (byte)(v * 60)), colours.Pixels.Where((_, i) => i % 3 == 0));
    }

    [Fact]
    public void A_flipped_bit_fails_the_crc_check()
    {
        var png = IndexedPngEncoder.EncodePalette(SegmentationLike(20, 20, 5), ColorPalette.PascalVoc());
        png[40] ^= 0x10;

        var error = Assert.Throws<CorruptImageException>(() => IndexedPngDecoder.Decode(png));

        Assert.Contains("CRC", error.Reason);
    }

    [Fact]
    public void Truncated_or_foreign_files_raise_corrupt_image()
    {
        var png = IndexedPngEncoder.EncodePalette(SegmentationLike(20, 20, 6), ColorPalette.PascalVoc());

        Assert.Contains("truncated", Assert.Throws<CorruptImageException>(() => IndexedPngDecoder.Decode(png[..(png.Length - 20)])).Reason);
        Assert.Throws<CorruptImageException>(() => IndexedPngDecoder.Decode(TestImages.Jpeg(8, 8)));
        Assert.Throws<NotSupportedException>(() => IndexedPngDecoder.Decode(ImageCodec.EncodePng(TestImages.Noise(4, 4, 1))));
    }

    [Fact]
    public void Encoder_rejects_indices_beyond_the_palette()
    {
        var map = new LabelMap(2, 1, [0, 4]);
        var small = new ColorPalette([(0, 0, 0), (1, 1, 1)]);

        Assert.Throws<ArgumentException>(() => IndexedPngEncoder.EncodePalette(map, small));
    }

    /// <summary>A palette PNG of bit depth 1, 2 or 4 built chunk by chunk (palette entry i is grey 60·i), rows unfiltered.</summary>
    private static byte[] HandMadePalettePng(int width, int height, int bitDepth, byte[] values)
    {
        var stride = (width * bitDepth + 7) / 8;
        var raw = new byte[height * (stride + 1)];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var bit = x * bitDepth;
                raw[y * (stride + 1) + 1 + bit / 8] |= (byte)(values[y * width + x] << (8 - bitDepth - bit % 8));
            }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            zlib.Write(raw);

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = 3;
        var plte = Enumerable.Range(0, 1 << bitDepth).SelectMany(i => Enumerable.Repeat((byte)(60 * i), 3)).ToArray();

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        foreach (var (type, data) in new[] { ("IHDR", ihdr), ("PLTE", plte), ("IDAT", compressed.ToArray()), ("IEND", Array.Empty<byte>()) })
        {
            var chunk = new byte[12 + data.Length];
            BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
            Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
            data.CopyTo(chunk, 8);
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.Compute(chunk.AsSpan(4, 4 + data.Length)));
            png.Write(chunk);
        }
        return png.ToArray();
    }
}
