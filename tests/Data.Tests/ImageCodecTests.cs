using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Tests;

public class ImageCodecTests
{
    [Fact]
    public void Png_round_trip_is_exact_for_rgb_and_grayscale()
    {
        var rgb = TestImages.Noise(37, 23, seed: 1);
        var gray = TestImages.Noise(19, 31, seed: 2, channels: 1);

        var rgbBack = ImageCodec.Decode(ImageCodec.EncodePng(rgb));
        var grayBack = ImageCodec.Decode(ImageCodec.EncodePng(gray), ColorMode.Grayscale);

        Assert.Equal((37, 23, 3), (rgbBack.Width, rgbBack.Height, rgbBack.Channels));
        Assert.Equal(rgb.Pixels, rgbBack.Pixels);
        Assert.Equal(gray.Pixels, grayBack.Pixels);
    }

    [Fact]
    public void Decoding_without_a_mode_keeps_the_stored_channels()
    {
        var gray = TestImages.Smooth(16, 16, channels: 1);

        Assert.Equal(1, ImageCodec.Decode(ImageCodec.EncodePng(gray), mode: null).Channels);
        Assert.Equal(3, ImageCodec.Decode(ImageCodec.EncodePng(TestImages.Smooth(16, 16)), mode: null).Channels);
        var asRgb = ImageCodec.Decode(ImageCodec.EncodePng(gray), ColorMode.Rgb);
        Assert.Equal(gray[5, 7, 0], asRgb[5, 7, 2]);
    }

    [Fact]
    public void Jpeg_round_trip_is_close_and_quality_trades_size()
    {
        var image = TestImages.Smooth(64, 48);

        var high = ImageCodec.EncodeJpeg(image, 95);
        var low = ImageCodec.EncodeJpeg(image, 20);
        var decoded = ImageCodec.Decode(high);

        Assert.Equal([0xFF, 0xD8], high[..2]);
        Assert.True(low.Length < high.Length, $"quality 20 gave {low.Length} bytes, quality 95 gave {high.Length}");
        Assert.True(TestImages.MeanAbsoluteDifference(image, decoded) < 4, "JPEG at quality 95 should be close");
    }

    [Fact]
    public void Grayscale_decoding_uses_bt601_luma()
    {
        var red = new ImageBuffer(2, 1, 3, [255, 0, 0, 10, 200, 30]);

        var gray = ImageCodec.Decode(ImageCodec.EncodePng(red), ColorMode.Grayscale);

        Assert.Equal([76, 124], gray.Pixels);
    }

    [Fact]
    public void Truncated_jpeg_raises_corrupt_image_with_reason()
    {
        var error = Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(TestImages.TruncatedJpeg()));

        Assert.Contains("truncated", error.Reason);
    }

    [Fact]
    public void Truncated_png_raises_corrupt_image()
    {
        var png = ImageCodec.EncodePng(TestImages.Noise(32, 32, seed: 3));

        Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(png[..(png.Length / 2)]));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A })]
    public void Garbage_raises_corrupt_image(byte[] bytes) =>
        Assert.Throws<CorruptImageException>(() => ImageCodec.Decode(bytes));
}
