using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Tests;

public class ImageResizerTests
{
    [Theory]
    [InlineData(ResizeFilter.Bilinear)]
    [InlineData(ResizeFilter.Bicubic)]
    public void Constant_image_stays_constant(ResizeFilter filter)
    {
        var image = new ImageBuffer(7, 5, 3, Enumerable.Repeat((byte)123, 7 * 5 * 3).ToArray());

        Assert.All(ImageResizer.Resize(image, 13, 3, filter).Pixels, p => Assert.Equal(123, p));
        Assert.All(ImageResizer.Resize(image, 2, 11, filter).Pixels, p => Assert.Equal(123, p));
    }

    [Fact]
    public void Bilinear_upsampling_interpolates_between_pixel_centres()
    {
        var image = new ImageBuffer(2, 1, 1, [0, 100]);

        var resized = ImageResizer.Resize(image, 4, 1, ResizeFilter.Bilinear);

        // Output centres 0.25, 0.75, 1.25, 1.75 in input pixels; input centres at 0.5 and 1.5.
        Assert.Equal([0, 25, 75, 100], resized.Pixels);
    }

    [Fact]
    public void Bicubic_reproduces_a_linear_ramp_away_from_the_border()
    {
        var ramp = new ImageBuffer(16, 1, 1, Enumerable.Range(0, 16).Select(i => (byte)(i * 10)).ToArray());

        var resized = ImageResizer.Resize(ramp, 32, 1, ResizeFilter.Bicubic);

        for (var x = 8; x < 24; x++)
            Assert.Equal((x + 0.5) / 2 * 10 - 5, resized.Pixels[x], tolerance: 1.0);
    }

    [Theory]
    [InlineData(ResizeFilter.Bilinear)]
    [InlineData(ResizeFilter.Bicubic)]
    public void Downsampling_is_antialiased(ResizeFilter filter)
    {
        var checkerboard = ImageBuffer.Blank(32, 32, 1);
        for (var y = 0; y < 32; y++)
            for (var x = 0; x < 32; x++)
                checkerboard[x, y, 0] = (byte)((x + y) % 2 == 0 ? 255 : 0);

        var small = ImageResizer.Resize(checkerboard, 8, 8, filter);

        Assert.All(small.Pixels, p => Assert.InRange(p, 110, 145));
    }

    [Fact]
    public void Resizing_to_the_same_size_copies()
    {
        var image = TestImages.Noise(9, 4, seed: 5);

        var same = ImageResizer.Resize(image, 9, 4, ResizeFilter.Bicubic);

        Assert.Equal(image.Pixels, same.Pixels);
        Assert.NotSame(image.Pixels, same.Pixels);
    }

    [Theory]
    [InlineData(500, 375, 256, 341, 256)]
    [InlineData(375, 500, 256, 256, 341)]
    [InlineData(200, 100, 256, 200, 100)]
    [InlineData(1000, 10, 4, 400, 4)]
    public void Limiting_the_shorter_side_keeps_the_aspect(int width, int height, int limit, int expectedWidth, int expectedHeight) =>
        Assert.Equal((expectedWidth, expectedHeight), ImageResizer.BoundedSize(width, height, limit));
}
