using SemanticMIM.Data.Imaging;
using SemanticMIM.Data.Views;

namespace SemanticMIM.Data.Tests;

public class ViewTests
{
    private static readonly ViewSampler Sampler = new() { MinScale = 0.5, MaxScale = 1.0, Flip = true, Seed = 7 };

    [Fact]
    public void A_view_depends_only_on_seed_sample_and_view_index()
    {
        var first = Enumerable.Range(0, 50).Select(i => Sampler.Sample(28, 28, i, 1)).ToList();
        var again = Enumerable.Range(0, 50).Reverse().Select(i => Sampler.Sample(28, 28, i, 1)).Reverse().ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, Enumerable.Range(0, 50).Select(i => Sampler.Sample(28, 28, i, 0)).ToList());
        Assert.NotEqual(first, Enumerable.Range(0, 50).Select(i => (Sampler with { Seed = 8 }).Sample(28, 28, i, 1)).ToList());
    }

    [Fact]
    public void Boxes_lie_inside_the_image_with_area_and_aspect_in_range_and_about_half_are_flipped()
    {
        var views = Enumerable.Range(0, 2000).Select(i => Sampler.Sample(40, 30, i, 0)).ToList();

        Assert.All(views, v =>
        {
            v.EnsureInside(40, 30);
            double scale = (double)v.Width * v.Height / (40 * 30);
            // Rounding the sides to whole pixels moves the area by less than one row and one column.
            Assert.InRange(scale, 0.5 - (v.Width + v.Height) / 1200.0, 1.0);
            Assert.InRange((double)v.Width / v.Height, 0.75 * (1 - 2.0 / v.Height), 4.0 / 3 * (1 + 2.0 / v.Height));
        });
        Assert.InRange(views.Count(v => v.Flip), 900, 1100);
        Assert.True(views.Select(v => (v.Left, v.Top)).Distinct().Count() > 100, "crop positions should vary");
    }

    [Fact]
    public void Without_flip_no_view_is_mirrored_and_a_narrow_image_falls_back_to_the_central_crop()
    {
        var noFlip = Sampler with { Flip = false, MinScale = 1.0 };

        // A 100x10 image cannot hold a full-area box of aspect <= 4/3: the fallback is the central 13x10 crop.
        var view = noFlip.Sample(100, 10, 3, 0);

        Assert.Equal(new CropView(43, 0, 13, 10, false), view);
    }

    [Fact]
    public void Rendering_crops_mirrors_and_resizes_the_recorded_box()
    {
        var image = new ImageBuffer(4, 3, 1, Enumerable.Range(0, 12).Select(i => (byte)(10 * i)).ToArray());

        var crop = ViewRenderer.Render(image, new CropView(1, 1, 2, 2, false), 2);
        var mirrored = ViewRenderer.Render(image, new CropView(1, 1, 2, 2, true), 2);

        Assert.Equal(new byte[] { 50, 60, 90, 100 }, crop.Pixels);
        Assert.Equal(new byte[] { 60, 50, 100, 90 }, mirrored.Pixels);
        Assert.Equal((8, 8), (ViewRenderer.Render(image, CropView.Whole(4, 3), 8).Width, 8));
        Assert.Throws<ArgumentException>(() => ViewRenderer.Render(image, new CropView(3, 0, 2, 2, false), 2));
    }

    [Theory]
    [InlineData(3, false, ResizeFilter.Bicubic)]
    [InlineData(3, true, ResizeFilter.Bicubic)]
    [InlineData(1, true, ResizeFilter.Bilinear)]
    [InlineData(3, true, ResizeFilter.Lanczos)]
    public void Rendering_a_box_in_place_equals_resizing_its_copied_out_crop(int channels, bool flip, ResizeFilter filter)
    {
        var image = TestImages.Noise(37, 29, seed: 11, channels);
        var view = new CropView(5, 3, 23, 23, flip);
        var crop = ImageBuffer.Blank(view.Width, view.Height, channels);
        for (var y = 0; y < view.Height; y++)
            for (var x = 0; x < view.Width; x++)
                for (var c = 0; c < channels; c++)
                    crop[flip ? view.Width - 1 - x : x, y, c] = image[view.Left + x, view.Top + y, c];

        // Shrunk, the box's own size (copied, not resampled) and enlarged.
        foreach (var size in new[] { 16, 23, 31 })
            Assert.Equal(ImageResizer.Resize(crop, size, size, filter).Pixels, ViewRenderer.Render(image, view, size, filter).Pixels);
    }

    [Fact]
    public void Views_round_trip_through_their_integer_form()
    {
        var view = new CropView(3, 4, 5, 6, true);

        Assert.Equal(view, CropView.FromSpan(view.ToArray()));
        Assert.Throws<ArgumentException>(() => CropView.FromSpan([1, 2, 3, 4, 2]));
    }
}
