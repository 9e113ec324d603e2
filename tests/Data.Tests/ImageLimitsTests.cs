using System.Text.Json;
using SemanticMIM.Data.Datasets;
using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Png;
using SemanticMIM.Data.Shards;

namespace SemanticMIM.Data.Tests;

/// <summary>
/// Images are measured from their headers and refused before decoding when over the limits; a reader skips oversized,
/// decompression-bomb, truncated and corrupt files and the shard manifest counts each reason.
/// </summary>
public class ImageLimitsTests
{
    [Fact]
    public void The_header_gives_the_size_of_a_png_and_a_jpeg_without_decoding()
    {
        Assert.Equal((37L, 23L), ImageHeader.Read(ImageCodec.EncodePng(TestImages.Noise(37, 23, seed: 1))));
        Assert.Equal((64L, 48L), ImageHeader.Read(TestImages.Jpeg(64, 48)));
        Assert.Equal((60000L, 3L), ImageHeader.Read(CraftedImages.JpegHeader(60000, 3)));
        Assert.Null(ImageHeader.Read("GIF89a"u8.ToArray()));
    }

    public static TheoryData<byte[], ImageProblem> BrokenHeaders() => new()
    {
        { TestImages.Jpeg(16, 16)[..10], ImageProblem.Truncated },
        { ImageCodec.EncodePng(TestImages.Noise(4, 4, seed: 2))[..20], ImageProblem.Truncated },
        { [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02], ImageProblem.Corrupt },
        { [0xFF, 0xD8, 0x00, 0x00], ImageProblem.Corrupt },
        { [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01], ImageProblem.Corrupt },
        { [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0], ImageProblem.Truncated },
    };

    [Theory]
    [MemberData(nameof(BrokenHeaders))]
    public void A_broken_header_is_a_corrupt_image_with_its_kind(byte[] image, ImageProblem problem) =>
        Assert.Equal(problem, Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(image)).Problem);

    [Fact]
    public void A_png_bomb_is_refused_from_its_header_before_anything_is_decoded()
    {
        // 100 000 × 100 000 RGB pixels (30 GB once decoded) declared by a file of a few hundred bytes.
        byte[] bomb = CraftedImages.Png(100_000, 100_000);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(bomb));

        Assert.Equal(ImageProblem.DecompressionBomb, error.Problem);
        Assert.StartsWith("decompression bomb: 100000x100000 pixels", error.Reason, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "nothing the size of the image may be allocated");
    }

    [Fact]
    public void Dimensions_whose_product_overflows_a_long_are_still_refused()
    {
        var error = Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(CraftedImages.Png(uint.MaxValue, uint.MaxValue)));

        Assert.Equal(ImageProblem.DecompressionBomb, error.Problem);
    }

    [Fact]
    public void A_jpeg_bomb_and_an_oversized_photograph_are_told_apart()
    {
        var bomb = Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(CraftedImages.JpegHeader(60000, 60000)));
        var large = Assert.Throws<CorruptImageException>(() =>
            ImageCodec.Decode(ImageCodec.EncodePng(TestImages.Noise(300, 300, seed: 3)), limits: new ImageLimits { MaxPixels = 10_000 }));

        Assert.Equal(ImageProblem.DecompressionBomb, bomb.Problem);
        Assert.Equal(ImageProblem.Oversized, large.Problem);
        Assert.Equal("image of 300x300 pixels is over the limit of 10000", large.Reason);
    }

    [Fact]
    public void A_file_over_the_byte_limit_is_oversized()
    {
        byte[] png = ImageCodec.EncodePng(TestImages.Noise(64, 64, seed: 4));

        var error = Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(png, limits: new ImageLimits { MaxBytes = 1000 }));

        Assert.Equal(ImageProblem.Oversized, error.Problem);
    }

    [Fact]
    public void A_label_map_bomb_is_refused_from_its_header()
    {
        var error = Assert.Throws<CorruptImageException>(() => IndexedPngDecoder.Decode(CraftedImages.Png(200_000, 200_000, colorType: 0)));

        Assert.Equal(ImageProblem.DecompressionBomb, error.Problem);
    }

    [Fact]
    public void A_reader_skips_bad_images_and_the_manifest_counts_each_reason()
    {
        using var root = new TemporaryDirectory();
        const string wnid = "n01440764";
        root.Write(TestImages.Jpeg(40, 32, seed: 1), "train", wnid, "a_good.JPEG");
        root.Write(ImageCodec.EncodePng(TestImages.Noise(200, 200, seed: 5)), "train", wnid, "b_large.png");
        root.Write(CraftedImages.Png(100_000, 100_000), "train", wnid, "c_bomb.png");
        root.Write(TestImages.TruncatedJpeg(), "train", wnid, "d_truncated.JPEG");
        root.Write("not an image at all"u8.ToArray(), "train", wnid, "e_corrupt.jpg");
        root.Write(TestImages.Jpeg(40, 32, seed: 2), "train", wnid, "f_good.JPEG");
        var reader = new ImageNetFolderReader(root.Path, "train", images: new ImageLimits { MaxPixels = 20_000 });

        var manifest = ShardWriter.WriteDataset(reader, root.Combine("shards"));

        Assert.Equal(2, manifest.TotalSamples);
        Assert.Equal(
            new Dictionary<string, int> { [SkipKinds.Corrupt] = 1, [SkipKinds.DecompressionBomb] = 1, [SkipKinds.Oversized] = 1, [SkipKinds.Truncated] = 1 },
            manifest.SkippedCounts);
        Assert.Contains(manifest.Skipped, s => s.Source == $"train/{wnid}/b_large.png" && s.Reason == "image of 200x200 pixels is over the limit of 20000");
        using var json = JsonDocument.Parse(File.ReadAllText(root.Combine("shards", ShardManifest.FileName)));
        Assert.Equal(1, json.RootElement.GetProperty("skipped_counts").GetProperty("decompression-bomb").GetInt32());
        Assert.Equal("oversized", json.RootElement.GetProperty("skipped")[0].GetProperty("kind").GetString());
        Assert.Equal(manifest.SkippedCounts, ShardManifest.Load(root.Combine("shards")).SkippedCounts);
    }
}
